import { z } from "zod";

/**
 * An event for the line: a webhook delivery, a `/factory` command, a job's result,
 * a timer or a ledger refresh, reduced to the facts its handler needs. Every trigger
 * becomes one of these and goes through one handler loop (`dispatch.ts`), one at a
 * time per artifact. Events are plain JSON, so the inbox can hold them in memory or
 * in Redis; `id` is the idempotency key (a redelivery carries the same one).
 */

const login = z.string().min(1).max(100);
const issueNumber = z.number().int().positive();

/** Where an event goes: an issue (the artifact's), a PR thread whose artifact is read from its branch, or the repository's ledger. */
export const eventTarget = z.union([
  z.object({ issue: issueNumber }),
  z.object({ pull: issueNumber }),
  z.object({ ledger: z.literal(true) }),
]);
export type EventTarget = z.infer<typeof eventTarget>;

const command = z.object({ name: z.string().max(40), args: z.array(z.string().max(40)).max(10), line: z.string().max(1000), continuation: z.string().max(1000).optional() });

/** The facts each kind of event carries; a handler reads nothing else from it. */
export const eventData = {
  /** `issues.labeled` / `issues.edited`: a request to open (or pick up) an artifact. */
  intake: z.object({
    action: z.enum(["labeled", "edited"]),
    label: z.string().max(100).optional(),
    issue: z.object({ number: issueNumber, title: z.string(), body: z.string().nullable(), author: login, labels: z.array(z.string().max(100)).max(100), state: z.string() }),
    sender: login,
    defaultBranch: z.string().min(1),
    /** Promoted from the demand queue: the label is put on by intake itself (so a promotion whose process died after queuing it still shows); absent in events of older versions. */
    promoted: z.literal(true).optional(),
  }),
  /** `issue_comment.created` with at least one `/factory` command. */
  command: z.object({
    comment: z.number().int(),
    thread: issueNumber,
    onPull: z.boolean(),
    labels: z.array(z.string().max(100)).max(100),
    sender: login,
    commands: z.array(command).min(1).max(3),
    /** Where a promoted candidate's artifact branches from (`/factory next`); absent in events queued by older versions. */
    defaultBranch: z.string().min(1).optional(),
  }),
  /** A check run, check suite, status or CI workflow run finished on an artifact branch. */
  checks: z.object({ branch: z.string().min(1), checkName: z.string().optional(), appSlug: z.string().optional() }),
  /** The cell workflow's run completed (the Actions runner). */
  "cell.run": z.object({ run: z.number().int(), conclusion: z.string().nullable(), title: z.string(), htmlUrl: z.string(), branch: z.string().optional() }),
  /** A push to an artifact's PR. */
  "pull.synchronize": z.object({ pr: issueNumber, headRef: z.string(), headSha: z.string() }),
  /** The artifact's PR was merged or closed. */
  "pull.closed": z.object({ pr: issueNumber, headRef: z.string(), merged: z.boolean(), endedAt: z.string(), defaultBranch: z.string() }),
  /** A review requesting changes on the artifact's PR. */
  review: z.object({
    pr: issueNumber,
    headRef: z.string(),
    review: z.object({ id: z.number().int(), body: z.string().nullable(), htmlUrl: z.string(), by: login }),
  }),
  /** A cell job (local runner) finished: its result, judged against the artifact as it is when the event is handled. */
  "job.done": z.object({
    job: z.string().min(1).max(200),
    cell: z.enum(["builder", "verifier"]),
    sha: z.string().optional(),
    result: z.record(z.string(), z.unknown()),
  }),
  /** A cell job's worker failed twice (or died twice). */
  "job.dead": z.object({ job: z.string().min(1).max(200), cell: z.enum(["builder", "verifier"]), reason: z.string().max(2000) }),
  /** An event the line gave up on: shown on the artifact, once. */
  "event.failed": z.object({ event: z.string().max(200), kind: z.string().max(40), what: z.string().max(200), reason: z.string().max(2000), transient: z.boolean(), attempts: z.number().int() }),
  /** A timer: CI's grace period on a commit ended. */
  "verify.grace": z.object({ sha: z.string().min(7).max(64) }),
  /** A timer: did the workflow run for a dispatched Actions job start? */
  "handoff.check": z.object({ job: z.string().min(1).max(200), attempt: z.union([z.literal(1), z.literal(2)]) }),
  /** The ledger should catch up: `issue` changed (absent: just look). */
  ledger: z.object({ issue: issueNumber.optional() }),
} as const;

export type EventKind = keyof typeof eventData;
export const EVENT_KINDS = Object.keys(eventData) as EventKind[];

export type LineEvent = {
  [K in EventKind]: {
    id: string;
    kind: K;
    installationId: number;
    owner: string;
    repo: string;
    target: EventTarget;
    /** What it was, for log lines and reports: `issues.labeled`, `/factory verify`, `build job build-3-…`. */
    what: string;
    data: z.infer<(typeof eventData)[K]>;
  };
}[EventKind];

export type EventOf<K extends EventKind> = Extract<LineEvent, { kind: K }>;

const envelope = z.object({
  id: z.string().min(1).max(200),
  kind: z.string(),
  installationId: z.number().int().nonnegative(),
  owner: z.string().min(1).max(100),
  repo: z.string().min(1).max(100),
  target: eventTarget,
  what: z.string().max(200),
  data: z.unknown(),
});

/** Checks an event read back from a queue: a bad one is reported by the caller, never handled. */
export function parseEvent(value: unknown): { ok: true; event: LineEvent } | { ok: false; problem: string } {
  const outer = envelope.safeParse(value);
  if (!outer.success) return { ok: false, problem: `event envelope: ${outer.error.issues[0]?.path.join(".")}: ${outer.error.issues[0]?.message}` };
  const kind = outer.data.kind;
  const schema = Object.hasOwn(eventData, kind) ? eventData[kind as EventKind] : undefined;
  if (!schema) return { ok: false, problem: `event kind "${kind.slice(0, 40)}" is not known` };
  const data = schema.safeParse(outer.data.data);
  if (!data.success) return { ok: false, problem: `${kind} event: data.${data.error.issues[0]?.path.join(".")}: ${data.error.issues[0]?.message}` };
  return { ok: true, event: { ...outer.data, kind, data: data.data } as LineEvent };
}

/** Builds an event, checked as the inbox will check it when it reads it back (a bug here is ours, so it throws). */
export function lineEvent<K extends EventKind>(kind: K, fields: Omit<EventOf<K>, "kind" | "data"> & { data: z.input<(typeof eventData)[K]> }): EventOf<K> {
  const event = { ...fields, kind, data: eventData[kind].parse(fields.data) };
  envelope.parse(event);
  return event as unknown as EventOf<K>;
}

/** The lock an event takes: one artifact (`owner/repo#12`), or the repository's ledger. */
export function lockKey(owner: string, repo: string, target: { issue: number } | { ledger: true }): string {
  return `${owner}/${repo}#${"issue" in target ? target.issue : "ledger"}`.toLowerCase();
}

/**
 * What events of different artifacts share in a repository, one at a time: its release
 * notes (the draft release is read, edited and written back), the learn stage's
 * proposals (two merges that both reach a refit would each propose it), and the demand
 * queue's promotions (two `/factory next` at once, or one and `intake.autoPromote`,
 * would each promote the same top candidate). Taken inside an artifact's (or the
 * ledger's) lock, never the other way round.
 */
export function repositoryLockKey(owner: string, repo: string, what: "release-notes" | "learn" | "promote"): string {
  return `${owner}/${repo}#${what}`.toLowerCase();
}

/** The issue an event's target names (events a handler gets for an artifact always name one, once the dispatcher resolved a PR). */
export function targetIssue(event: { target: EventTarget }): number {
  if ("issue" in event.target) return event.target.issue;
  if ("pull" in event.target) return event.target.pull;
  throw new Error("the ledger's events name no issue");
}
