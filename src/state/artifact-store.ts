import type { Comment, ThreadsPort } from "../ports/github.js";
import { type Carrier, makeRecord, readRecords, recordBlock } from "./carriers.js";
import { foldRecords, GENESIS, type Artifact } from "./fold.js";
import { artifactId, type RecordDataOf, type RecordKind, type SignedRecord } from "./records.js";

/** Marks the tracking comment (never a record: the comment is a view). */
export const TRACKING_MARKER = "<!-- software-factory:tracking -->";

export interface LoadedArtifact {
  id: string;
  issue: number;
  artifact: Artifact;
  records: SignedRecord[];
  issueComments: Comment[];
  tracking: Comment | undefined;
}

function toCarrier(comment: Comment, thread: string): Carrier {
  return {
    where: `${thread} comment ${comment.id}`,
    order: comment.id,
    authorLogin: comment.authorLogin,
    authorType: comment.authorType,
    body: comment.body,
  };
}

/** Where the store says what it ignored (Probot's logger is one). */
export interface StoreLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Reads an artifact from GitHub (its issue thread, then its PR thread once the
 * records name a PR) and appends records as new comments. The only state there is.
 */
export class ArtifactStore<P extends ThreadsPort = ThreadsPort> {
  constructor(
    /** The repository: the store reads and writes threads; the stage that holds the store uses what more `P` offers. */
    readonly port: P,
    private readonly options: { botLogin: string; key: Buffer; log: StoreLog; now?: () => Date },
  ) {}

  get botLogin(): string {
    return this.options.botLogin;
  }

  /** The time new records carry: the app's clock when it was given one, else the system's. */
  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  isOwnComment(comment: Comment): boolean {
    return comment.authorType === "Bot" && comment.authorLogin === this.options.botLogin;
  }

  async load(issue: number): Promise<LoadedArtifact> {
    const id = artifactId(this.port.ref, issue);
    const issueComments = await this.port.listIssueComments(issue);
    const carriers = issueComments.map((c) => toCarrier(c, `#${issue}`));
    let folded = foldRecords(id, this.read(carriers, id));
    const pr = folded.artifact.pr;
    if (pr !== undefined) {
      const prComments = await this.port.listIssueComments(pr);
      folded = foldRecords(id, this.read([...carriers, ...prComments.map((c) => toCarrier(c, `PR #${pr}`))], id));
    }
    for (const { record, reason } of folded.voided) {
      this.options.log.warn({ artifact: id, seq: record.seq, kind: record.kind, key: record.key, reason }, "a record does not count");
    }
    const tracking = issueComments.find((c) => this.isOwnComment(c) && c.body.includes(TRACKING_MARKER));
    return { id, issue, artifact: folded.artifact, records: folded.records, issueComments, tracking };
  }

  /** The records of `id` that the carriers hold and that count (the app's, signed); the rest are logged. */
  read(carriers: Carrier[], id: string): SignedRecord[] {
    const { records, rejected } = readRecords(carriers, { botLogin: this.options.botLogin, key: this.options.key, artifact: id });
    for (const rejection of rejected) {
      this.options.log.warn({ artifact: id, where: rejection.where, reason: rejection.reason }, "ignored a hidden block");
    }
    return records;
  }

  /** A signed record that follows everything the loaded artifact has seen. */
  record<K extends RecordKind>(loaded: LoadedArtifact, kind: K, data: RecordDataOf<K>, key: string): SignedRecord {
    return makeRecord(kind, data, { artifact: loaded.id, key, seq: loaded.artifact.seq + 1, prev: loaded.artifact.head ?? GENESIS, at: this.now() }, this.options.key);
  }

  /** A signed record outside any artifact's chain (the ledger's pages): `seq` and `key` are the caller's. */
  sign<K extends RecordKind>(id: string, kind: K, data: RecordDataOf<K>, context: { key: string; seq: number; at: Date }): SignedRecord {
    return makeRecord(kind, data, { artifact: id, ...context }, this.options.key);
  }

  block(record: SignedRecord): string {
    return recordBlock(record);
  }
}

/** The loaded artifact with one more record appended, and its fold brought up to date. */
export function withRecord(loaded: LoadedArtifact, record: SignedRecord): LoadedArtifact {
  const folded = foldRecords(loaded.id, [...loaded.records, record]);
  return { ...loaded, records: folded.records, artifact: folded.artifact };
}
