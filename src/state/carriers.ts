import { decodeBlocks, encodeBlock } from "./codec.js";
import {
  RECORD_VERSION,
  recordData,
  unsignedEnvelope,
  type FactoryRecord,
  type RecordDataOf,
  type RecordKind,
  type SignedRecord,
} from "./records.js";
import { sign, verify } from "./sign.js";

/** Something the app may have written a record into: a comment, or a PR body. */
export interface Carrier {
  /** Where it is, for log lines: `issue comment 123`, `PR #4 body`. */
  where: string;
  /** Creation order; comment ids on GitHub grow with time. */
  order: number;
  authorLogin: string | undefined;
  authorType: string | undefined;
  body: string | null | undefined;
}

export interface Rejection {
  where: string;
  reason: string;
}

export interface ReadResult {
  records: SignedRecord[];
  rejected: Rejection[];
}

/**
 * Reads the records a set of carriers hold for one artifact. A record counts only
 * if its carrier was written by the app's bot account, its signature checks, its
 * version is known and its data fits its kind's schema. Everything else is
 * returned in `rejected` with the reason, for the caller to log.
 */
export function readRecords(
  carriers: readonly Carrier[],
  options: { botLogin: string; key: Buffer; artifact: string },
): ReadResult {
  const records: SignedRecord[] = [];
  const rejected: Rejection[] = [];
  const sorted = [...carriers].sort((a, b) => a.order - b.order);
  for (const carrier of sorted) {
    const blocks = decodeBlocks(carrier.body);
    if (blocks.length === 0) continue;
    const fromBot = carrier.authorType === "Bot" && carrier.authorLogin === options.botLogin;
    for (const block of blocks) {
      if (!fromBot) {
        rejected.push({ where: carrier.where, reason: `hidden block written by ${carrier.authorLogin ?? "unknown"}, not the app` });
        continue;
      }
      if (!block.ok) {
        rejected.push({ where: carrier.where, reason: block.error });
        continue;
      }
      const checked = checkRecord(block.value, options.key);
      if (!checked.ok) {
        rejected.push({ where: carrier.where, reason: checked.reason });
        continue;
      }
      if (checked.record.artifact !== options.artifact) continue;
      records.push(checked.record);
    }
  }
  return { records, rejected };
}

export function checkRecord(
  value: unknown,
  key: Buffer,
): { ok: true; record: SignedRecord } | { ok: false; reason: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "hidden block is not an object" };
  }
  const { sig, ...rest } = value as Record<string, unknown>;
  if (typeof sig !== "string") return { ok: false, reason: "hidden block has no signature" };
  if (!verify(rest, sig, key)) return { ok: false, reason: "hidden block signature does not match (edited or forged)" };
  const envelope = unsignedEnvelope.safeParse(rest);
  if (!envelope.success) return { ok: false, reason: `record envelope is malformed: ${envelope.error.issues[0]?.message}` };
  if (envelope.data.v !== RECORD_VERSION) {
    return { ok: false, reason: `record version ${envelope.data.v} is not known (this app reads version ${RECORD_VERSION})` };
  }
  // An own-property check: a kind like `constructor` must not reach Object.prototype.
  const schema = Object.hasOwn(recordData, envelope.data.kind) ? recordData[envelope.data.kind as RecordKind] : undefined;
  if (!schema) return { ok: false, reason: `record kind "${envelope.data.kind}" is not known` };
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) {
    const issue = data.error.issues[0];
    return { ok: false, reason: `record ${envelope.data.kind}: data.${issue?.path.join(".")}: ${issue?.message}` };
  }
  return { ok: true, record: { ...envelope.data, data: data.data, sig } as SignedRecord };
}

export interface RecordContext {
  artifact: string;
  key: string;
  seq: number;
  /** The link of the record the writer saw last (`linkOf`), so the fold can tell a writer that lost a race. */
  prev?: string | undefined;
  at?: Date;
}

/** Builds and signs one record. */
export function makeRecord<K extends RecordKind>(
  kind: K,
  data: RecordDataOf<K>,
  context: RecordContext,
  signingKey: Buffer,
): SignedRecord {
  const unsigned = {
    v: RECORD_VERSION,
    artifact: context.artifact,
    seq: context.seq,
    kind,
    at: (context.at ?? new Date()).toISOString(),
    key: context.key,
    ...(context.prev !== undefined ? { prev: context.prev } : {}),
    data: recordData[kind].parse(data),
  } as FactoryRecord;
  return { ...unsigned, sig: sign(unsigned, signingKey) };
}

export function recordBlock(record: SignedRecord): string {
  return encodeBlock(record);
}
