/**
 * Shared fast-check arbitraries and fixtures for the state tests: hostile strings
 * (full of comment and HTML syntax) and valid, signed records of every kind.
 */
import fc from "fast-check";
import { STAGES } from "../../src/line/stages.js";
import { makeRecord } from "../../src/state/carriers.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../src/state/records.js";

export const KEY = Buffer.from("software-factory test state key, 32+ bytes long", "utf8");
export const ARTIFACT = "octo/widgets#7";
export const BOT_LOGIN = "software-factory[bot]";

/** The pieces that could open, close or confuse a hidden block if they were not escaped. */
const HOSTILE_PIECES = [
  "-->",
  "<!--",
  "</",
  "&",
  "\u2028",
  "\u2029",
  "<",
  ">",
  "{",
  "}",
  "--",
  " ",
  "\n",
  "\\",
  '"',
  "software-factory",
  "<!-- software-factory ",
  " -->",
  "&lt;",
  "\\u003c",
  "</script>",
] as const;

const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PIECES) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** A string made mostly of comment/HTML syntax, plus arbitrary code points. */
export const hostileString = fc.string({ unit: hostileUnit, maxLength: 24 });

/** Text that contains no block opening marker (surrounding text in a body). */
export const markerFreeText = hostileString.filter((s) => !s.includes("<!-- software-factory"));

/** JSON cannot carry -0 (`JSON.stringify(-0)` is `"0"`), so normalise it away. */
export function withoutNegativeZero(value: fc.JsonValue): fc.JsonValue {
  if (typeof value === "number") return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === "object") {
    const out: Record<string, fc.JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutNegativeZero(v);
    return out;
  }
  return value;
}

/** Any JSON value whose strings are hostile. */
export const hostileJsonValue = fc.jsonValue({ stringUnit: hostileUnit, maxDepth: 4 }).map(withoutNegativeZero);

/** Any JSON object (the shape records have) whose strings are hostile. */
export const hostileJsonObject = fc
  .dictionary(hostileString, hostileJsonValue, { maxKeys: 6 })
  .map((o) => withoutNegativeZero(o) as Record<string, fc.JsonValue>);

const login = fc.string({ minLength: 1, maxLength: 20 });
const stage = fc.constantFrom(...STAGES);

export type KindData = { [K in RecordKind]: { kind: K; data: RecordDataOf<K> } }[RecordKind];

export const kindDataArb: fc.Arbitrary<KindData> = fc.oneof(
  fc.record({ title: hostileString, missing: fc.array(hostileString, { maxLength: 3 }) }).map((data) => ({ kind: "intake.needs_criteria" as const, data })),
  fc
    .record({
      issue: fc.integer({ min: 1, max: 100_000 }),
      title: hostileString,
      goal: hostileString,
      criteria: fc.array(hostileString, { minLength: 1, maxLength: 3 }),
      branch: fc.string({ minLength: 1, maxLength: 30 }),
      baseBranch: fc.constantFrom("main", "develop"),
      pr: fc.integer({ min: 1, max: 100_000 }),
      author: login,
      requestedBy: login,
    })
    .map((data) => ({ kind: "artifact.opened" as const, data })),
  fc.record({ by: login }).map((data) => ({ kind: "command.stop" as const, data })),
  fc
    .record({ by: login, command: fc.string({ maxLength: 50 }), outcome: fc.constantFrom("answered" as const, "refused" as const, "rejected" as const) })
    .map((data) => ({ kind: "command.answered" as const, data })),
  fc.record({ by: login, stage }).map((data) => ({ kind: "command.retry" as const, data })),
  fc.record({ stage, summary: hostileString }).map((data) => ({ kind: "stage.completed" as const, data })),
  fc.record({ stage, reason: hostileString }).map((data) => ({ kind: "stage.failed" as const, data })),
  fc.record({ digest: fc.string(), problems: fc.array(hostileString, { maxLength: 3 }) }).map((data) => ({ kind: "config.invalid" as const, data })),
);

export const atArb = fc.date({ min: new Date("2024-01-01T00:00:00.000Z"), max: new Date("2026-12-31T23:59:59.999Z"), noInvalidDate: true });

/** Builds one signed record from a kind and its data. */
export function signed(
  kd: KindData,
  context: { seq: number; key: string; at: Date; artifact?: string },
  signingKey: Buffer = KEY,
): SignedRecord {
  return makeRecord(kd.kind, kd.data, { artifact: context.artifact ?? ARTIFACT, key: context.key, seq: context.seq, at: context.at }, signingKey);
}

/** A valid signed record of any kind for {@link ARTIFACT}. */
export const recordArb: fc.Arbitrary<SignedRecord> = fc
  .record({ kd: kindDataArb, seq: fc.nat({ max: 50 }), key: fc.string({ minLength: 1, maxLength: 40 }), at: atArb })
  .map(({ kd, seq, key, at }) => signed(kd, { seq, key, at }));
