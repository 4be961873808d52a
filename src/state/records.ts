import { z } from "zod";
import { STAGES } from "../line/stages.js";

/**
 * Record kinds. Each kind's `data` has exactly one schema, here; a record is the
 * envelope `{ v, artifact, seq, kind, at, key, data, sig }` around it.
 */
export const RECORD_VERSION = 1;

const login = z.string().min(1).max(100);
const stage = z.enum(STAGES);

export const recordData = {
  /** The tracking comment saw a request without success criteria. */
  "intake.needs_criteria": z.object({
    title: z.string(),
    missing: z.array(z.string()),
  }),
  /** The artifact exists: branch, draft PR and the parsed request. */
  "artifact.opened": z.object({
    issue: z.number().int().positive(),
    title: z.string(),
    goal: z.string(),
    criteria: z.array(z.string()).min(1),
    branch: z.string().min(1),
    baseBranch: z.string().min(1),
    pr: z.number().int().positive(),
    author: login,
    requestedBy: login,
    /** The repository refused a draft PR: a normal one was opened, its title marked `[WIP]` until the verifier passes. */
    wip: z.boolean().optional(),
    /** What of the request was cut to fit the line's budget, in words (the full text stays on the issue). */
    cut: z.array(z.string().max(400)).max(10).optional(),
  }),
  "command.stop": z.object({ by: login }),
  /**
   * `/factory next` chose the demand queue's top candidate (written before it is promoted,
   * so a retry after a crash promotes the same issue, not the next one).
   */
  "queue.promoted": z.object({ by: login, issue: z.number().int().positive(), title: z.string().max(300), score: z.number(), why: z.array(z.string().max(300)).max(20) }),
  /** A writer approved the scout's plan (`/factory approve`): the build may start. `digest`: the goal and criteria approved. */
  "scope.approved": z.object({ by: login, digest: z.string().min(1).max(64) }),
  /** A writer sent the scout back with guidance (`/factory revise <text>`). */
  "scope.revise": z.object({ by: login, guidance: z.string().min(1).max(1000) }),
  /**
   * The issue's goal or criteria were edited after the artifact opened. `backToApproval`:
   * the scope gate is on and the plan had been approved, so the line waits for approval again.
   */
  /** `cancels`: the job that was running when the revision sent the artifact back to approval; it is cancelled after the record (again by a retry). */
  "artifact.revised": z.object({
    by: login,
    goal: z.string(),
    criteria: z.array(z.string()).min(1),
    backToApproval: z.boolean(),
    cancels: z.object({ runner: z.string().max(20), job: z.string().max(100), stage: z.string().max(20) }).optional(),
  }),
  /**
   * A command that changed nothing (status, help, a refusal) was answered: its key stops a second answer.
   * `refused`: its author lacks the role it needs (also a command the app does not know, from someone
   * without a role); the first of these in an hour per person is written, later ones get only a reaction
   * and no record, so these records are the refusal budget (`events/handle-comment.ts`).
   */
  "command.answered": z.object({ by: login, command: z.string().max(50), outcome: z.enum(["answered", "refused", "rejected"]) }),
  "command.retry": z.object({ by: login, stage }),
  /** `output` is the cell's output, already validated against its contract. */
  "stage.completed": z.object({ stage, summary: z.string(), output: z.record(z.string(), z.unknown()).optional(), job: z.string().optional() }),
  /** `job`: the runner job this settles; a job that is no longer the running one (stopped, superseded) changes nothing. */
  "stage.failed": z.object({ stage, reason: z.string(), job: z.string().optional() }),
  /** A stage's job was handed to a runner; `job` names it for `/factory stop` and for collecting its result. */
  "stage.started": z.object({
    stage,
    runner: z.enum(["inline", "local", "actions"]),
    job: z.string().min(1).max(200),
    harness: z.string().max(50).optional(),
    /** The commit a verifier job checks: a job handed off again (after a crash) needs it. */
    sha: z.string().min(7).max(64).optional(),
  }),
  /** The verify commands' results at a commit, kept while checks are still running so they need not run again. */
  "verify.evidence": z.object({
    sha: z.string().min(7).max(64),
    job: z.string().min(1).max(200),
    evidence: z.array(z.record(z.string(), z.unknown())).max(50),
  }),
  /**
   * The verifier waits for CI on a commit, until `since` + `graceMinutes`: for any check
   * to register, or for the `missing` required checks (named by `requiredBy`) to
   * report. `overdue`: the grace period ended and they still had not.
   */
  "verify.waiting": z.object({
    sha: z.string().min(7).max(64),
    since: z.iso.datetime(),
    graceMinutes: z.number().min(0),
    missing: z.array(z.string().min(1).max(300)).max(100).optional(),
    requiredBy: z.string().min(1).max(300).optional(),
    overdue: z.boolean().optional(),
  }),
  /** Nothing reported on a commit within the grace period and no command ran: no evidence, which is not a pass. */
  "verify.no_evidence": z.object({ sha: z.string().min(7).max(64), graceMinutes: z.number().min(0) }),
  /** A person with write access accepted a verdict with no evidence for a commit (`/factory verify --accept-no-evidence`). */
  "verify.accepted": z.object({ sha: z.string().min(7).max(64), by: login }),
  /** A push moved the PR head past the commit the last verdict was for: that verdict no longer counts. */
  "verify.stale": z.object({ sha: z.string().min(7).max(64), previous: z.string().min(7).max(64) }),
  /** A person with write access requested changes: the whole review, batched, is the builder's next feedback. */
  "review.changes_requested": z.object({
    by: login,
    review: z.number().int(),
    url: z.string().max(500),
    body: z.string().max(20_000),
    comments: z.array(z.object({ path: z.string(), line: z.number().int().nullable(), body: z.string().max(5000), url: z.string().max(500) })).max(100),
  }),
  /** `/factory ship` found the branch behind its base and merged the base into it: it merges when the new head passes. */
  "ship.requested": z.object({ by: login, sha: z.string().min(7).max(64), behind: z.number().int().nonnegative(), after: z.string().min(7).max(64).optional() }),
  /** `/factory ship` merged the PR at `sha`. `note` (written by earlier versions, which placed the release note at the ship) says where it went. */
  "ship.merged": z.object({ by: login, sha: z.string().min(7).max(64), method: z.enum(["merge", "squash", "rebase"]), note: z.string().max(500).optional() }),
  /** A ship waiting on the updated branch's verdict was called off, and why. */
  "ship.cancelled": z.object({ by: login, reason: z.string().max(1000) }),
  /** The PR was merged or closed: the analyst's post-run note, with the metrics. */
  "run.ended": z.object({
    outcome: z.enum(["merged", "closed"]),
    metrics: z.record(z.string(), z.unknown()),
    note: z.string().max(300),
    /** Where the merged change's release note went (`package.changelog`), in words. */
    releaseNote: z.string().max(500).optional(),
    /** The learn stage of this run: what the line learned from it, and what of the learned it used, in words. */
    learned: z.array(z.string().max(500)).max(10).optional(),
  }),
  /** A budget or circuit breaker tripped: the artifact is blocked instead of looping. */
  "budget.exceeded": z.object({ stage, limit: z.string().max(100), detail: z.string().max(1000) }),
  /** An event the line gave up on (GitHub kept failing, or it cannot be handled): shown on the artifact, once. */
  "event.failed": z.object({ what: z.string().max(200), reason: z.string().max(2000), transient: z.boolean(), attempts: z.number().int().nonnegative() }),
  /** The ledger's own memory, one record per ledger page: its rows, so a refresh re-reads only what changed. */
  "ledger.rows": z.object({
    page: z.number().int().positive(),
    pages: z.number().int().positive(),
    /** The newest `updated_at` of the factory's issues the ledger has seen. */
    watermark: z.string().max(40).optional(),
    entries: z
      .array(
        z.object({
          issue: z.number().int().positive(),
          title: z.string().max(300),
          stage: z.string().max(20),
          status: z.string().max(20),
          owner: z.string().max(100).optional(),
          branch: z.string().max(200).optional(),
          pr: z.number().int().positive().optional(),
          verification: z.string().max(20),
          nextHandoff: z.string().max(300),
          createdAt: z.string().max(40).optional(),
          seen: z.string().max(40).optional(),
        }),
      )
      .max(2000),
  }),
  /** A bad `.github/factory.yml` was reported; `digest` stops the same report twice. */
  "config.invalid": z.object({ digest: z.string(), problems: z.array(z.string()) }),
} as const;

export type RecordKind = keyof typeof recordData;
export const RECORD_KINDS = Object.keys(recordData) as RecordKind[];

export type RecordDataOf<K extends RecordKind> = z.infer<(typeof recordData)[K]>;

export const unsignedEnvelope = z.object({
  v: z.number().int(),
  artifact: z.string().min(1),
  seq: z.number().int().nonnegative(),
  kind: z.string(),
  at: z.iso.datetime(),
  key: z.string().min(1).max(200),
  /** The link (`linkOf`) of the record its writer saw last; absent on the first record and on records of older versions. */
  prev: z.string().min(1).max(40).optional(),
  data: z.unknown(),
});

export type FactoryRecord = {
  [K in RecordKind]: {
    v: typeof RECORD_VERSION;
    artifact: string;
    seq: number;
    kind: K;
    at: string;
    key: string;
    prev?: string;
    data: RecordDataOf<K>;
  };
}[RecordKind];

export type SignedRecord = FactoryRecord & { sig: string };

/** The artifact id of an issue: `owner/name#number`. */
export function artifactId(repo: { owner: string; repo: string }, issue: number): string {
  return `${repo.owner}/${repo.repo}#${issue}`.toLowerCase();
}

/** The id the ledger's own records carry: `owner/name#ledger`. */
export function ledgerId(repo: { owner: string; repo: string }): string {
  return `${repo.owner}/${repo.repo}#ledger`.toLowerCase();
}
