import { nextStage, type Stage } from "../line/stages.js";
import type { SignedRecord } from "./records.js";

export type ArtifactStatus = "new" | "needs-criteria" | "active" | "stopped" | "blocked" | "done";
export type Verification = "none" | "pending" | "pass" | "fail" | "stale" | "no-evidence";

export interface Artifact {
  id: string;
  issue: number | undefined;
  title: string;
  goal: string;
  criteria: string[];
  missing: string[];
  stage: Stage | "done";
  status: ArtifactStatus;
  owner: string | undefined;
  requestedBy: string | undefined;
  branch: string | undefined;
  baseBranch: string | undefined;
  pr: number | undefined;
  /** The repository refused a draft: the PR is a normal one, its title marked work in progress until verified. */
  wip?: boolean;
  /** What of the request was cut to fit (notes for people); the full text is on the issue. */
  cut?: string[];
  /** `stale` stays until the new head has a verdict of its own. */
  verification: Verification;
  /** The commit the last verdict was for. */
  verifiedSha: string | undefined;
  /** `verifiedSha` when that verdict was a pass; a stale verdict keeps it (the pass stands for that commit), any other verdict or a build clears it. */
  passedSha?: string | undefined;
  attempts: Partial<Record<Stage, number>>;
  /** The job a runner holds for the current stage, until it completes or fails. */
  running: { stage: Stage; runner: string; job: string; since: string } | undefined;
  /** Rounds of changes requested by reviewers. */
  reviewRounds: number;
  /** `attempts` when a person last retried the stage: its attempt budget counts from there. */
  attemptsAtRetry: Partial<Record<Stage, number>>;
  /** When each stage first started on a runner: its wall-time budget counts from here. */
  firstStarted: Partial<Record<Stage, string>>;
  /** The cost harnesses reported, in US dollars, per stage. */
  costUsd: Partial<Record<Stage, number>>;
  nextHandoff: string;
  /** The last verdict's map of each success criterion to its evidence (or "needs a person"). */
  criteriaEvidence?: Array<{ criterion: string; state: string; evidence: string }>;
  /** The scope gate: who approved the scout's plan (cleared by a new memo, a revision or edited criteria). */
  scopeApproved?: { by: string; digest: string } | undefined;
  /** Guidance from `/factory revise`, newest last: the scout and the builder read it. */
  guidance?: string[];
  /** `/factory ship`: who asked, and whether it waits on the updated branch's verdict, merged, or was called off. */
  ship?: { by: string; state: "waiting" | "merged" | "cancelled"; sha: string; after?: string | undefined };
  /** The learn stage, once the run ended: what was learned from it and what learned settings it used. */
  learned?: string[];
  createdAt: string | undefined;
  updatedAt: string | undefined;
  /** The `seq` of the last record that counts: a writer appends with `seq + 1`. */
  seq: number;
  /** That record's link (`linkOf`): a writer's next record names it as `prev`. */
  head: string | undefined;
  /** Idempotency keys already applied (delivery ids, command comment ids). */
  keys: ReadonlySet<string>;
}

export function emptyArtifact(id: string): Artifact {
  return {
    id,
    issue: undefined,
    title: "",
    goal: "",
    criteria: [],
    missing: [],
    stage: "intake",
    status: "new",
    owner: undefined,
    requestedBy: undefined,
    branch: undefined,
    baseBranch: undefined,
    pr: undefined,
    verification: "none",
    verifiedSha: undefined,
    attempts: {},
    running: undefined,
    firstStarted: {},
    attemptsAtRetry: {},
    reviewRounds: 0,
    costUsd: {},
    nextHandoff: "intake: waiting for the request",
    createdAt: undefined,
    updatedAt: undefined,
    seq: 0,
    head: undefined,
    keys: new Set(),
  };
}

/** The `prev` of a writer that saw no record (its artifact's first): every record of this version names one. */
export const GENESIS = "-";

/** A record's link: what the next record of the same writer names as its `prev`. */
export function linkOf(record: SignedRecord): string {
  return record.sig.slice(0, 16);
}

export interface VoidRecord {
  record: SignedRecord;
  reason: string;
}

export interface Folded {
  artifact: Artifact;
  /** The records that count, in `seq` order: one per `seq`, each following the one before. */
  records: SignedRecord[];
  /** Records that do not count, with the reason: the caller logs them. */
  voided: VoidRecord[];
}

/**
 * The records that count, from records in carrier order (comment id, then position
 * in the comment). A lock keeps one writer per artifact; this is what holds when
 * it could not (a rolling deploy, a lease that lapsed mid-write):
 * - at most one record per `seq`: the first written wins, a later one is void;
 * - a record names the record it followed (`prev`); when that one is void, so is
 *   this one, so a writer that lost a race cannot go on from what it alone saw;
 * - a key applied once is not applied again (a redelivery handled twice).
 * A `prev` naming a record that is not there at all (a deleted comment) is accepted.
 * Records of versions before `prev` existed keep the rule they were written under:
 * two of them may share a seq (both count, ordered by time and key), and at a seq
 * they share with a newer record, they come first.
 */
export function chainRecords(records: readonly SignedRecord[]): { records: SignedRecord[]; voided: VoidRecord[] } {
  const seen = new Set<string>();
  const unique = records.filter((r) => (seen.has(r.sig) ? false : (seen.add(r.sig), true)));
  const known = new Set(unique.map(linkOf));
  const position = new Map(unique.map((r, i) => [r, i]));
  const legacy = (r: SignedRecord) => r.prev === undefined;
  // Records of one seq keep their carrier order, so the first written wins; older versions' records go first, in their old order.
  const sorted = [...unique].sort(
    (a, b) =>
      a.seq - b.seq ||
      Number(!legacy(a)) - Number(!legacy(b)) ||
      (legacy(a) && legacy(b) ? cmp(a.at, b.at) || cmp(a.key, b.key) || cmp(a.kind, b.kind) : (position.get(a) ?? 0) - (position.get(b) ?? 0)),
  );
  const accepted: SignedRecord[] = [];
  const voided: VoidRecord[] = [];
  const keys = new Set<string>();
  let head: SignedRecord | undefined;
  for (const record of sorted) {
    const link = head ? linkOf(head) : GENESIS;
    if (keys.has(record.key)) {
      voided.push({ record, reason: `key ${record.key} was already applied` });
    } else if (!legacy(record) && head && record.seq <= head.seq) {
      voided.push({ record, reason: `seq ${record.seq} is taken by an earlier record` });
    } else if (!legacy(record) && record.prev !== link && known.has(record.prev as string)) {
      voided.push({ record, reason: `it follows record ${record.prev}, which does not count` });
    } else {
      keys.add(record.key);
      accepted.push(record);
      head = record;
    }
  }
  return { records: accepted, voided };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The artifact's state: a pure fold over the records that count (`chainRecords`),
 * so a redelivered webhook, a command handled twice or two racing writers change
 * nothing beyond the first.
 */
export function foldRecords(id: string, records: readonly SignedRecord[]): Folded {
  const chain = chainRecords(records);
  let artifact = emptyArtifact(id);
  const keys = new Set<string>();
  for (const record of chain.records) {
    keys.add(record.key);
    artifact = { ...callsOffShip(artifact, apply(artifact, record), record), seq: record.seq, head: linkOf(record), updatedAt: record.at };
  }
  return { artifact: { ...artifact, keys }, records: chain.records, voided: chain.voided };
}

export function fold(id: string, records: readonly SignedRecord[]): Artifact {
  return foldRecords(id, records).artifact;
}

/**
 * A ship waiting on the updated branch merges that branch, verified, and nothing
 * else: a new build, a request for changes, a revised plan or edited criteria call
 * it off (the person ships again when they want the new state merged).
 */
function callsOffShip(before: Artifact, after: Artifact, record: SignedRecord): Artifact {
  if (before.ship?.state !== "waiting" || after.ship?.state !== "waiting") return after;
  const moved =
    (record.kind === "stage.completed" && record.data.stage === "build") || record.kind === "review.changes_requested" || record.kind === "scope.revise" || record.kind === "artifact.revised";
  return moved ? { ...after, ship: { ...after.ship, state: "cancelled" } } : after;
}

function apply(a: Artifact, record: SignedRecord): Artifact {
  switch (record.kind) {
    case "intake.needs_criteria":
      if (a.status !== "new" && a.status !== "needs-criteria") return a;
      return {
        ...a,
        title: record.data.title,
        missing: record.data.missing,
        status: "needs-criteria",
        createdAt: a.createdAt ?? record.at,
        nextHandoff: "issue author: add success criteria to the issue",
      };
    case "artifact.opened":
      // The first opening wins; a second (two instances racing) names the same branch and PR.
      if (a.pr !== undefined) return a;
      return {
        ...a,
        issue: record.data.issue,
        title: record.data.title,
        goal: record.data.goal,
        criteria: record.data.criteria,
        missing: [],
        branch: record.data.branch,
        baseBranch: record.data.baseBranch,
        pr: record.data.pr,
        ...(record.data.wip ? { wip: true } : {}),
        ...(record.data.cut?.length ? { cut: record.data.cut } : {}),
        owner: record.data.author,
        requestedBy: record.data.requestedBy,
        stage: "scout",
        status: "active",
        createdAt: a.createdAt ?? record.at,
        nextHandoff: handoff("scout"),
      };
    case "command.stop":
      if (a.status === "done" || a.status === "stopped") return a;
      // A ship waiting on the updated branch is called off with the rest.
      return { ...a, status: "stopped", ...(a.ship?.state === "waiting" ? { ship: { ...a.ship, state: "cancelled" as const } } : {}), nextHandoff: `a person: stopped by @${record.data.by}; \`/factory retry\` resumes` };
    case "command.retry":
      if (a.pr === undefined || a.status === "done") return a;
      // A person's retry resets the stage's breaker (attempts and wall clock count from here); `attempts` keeps the history.
      return {
        ...a,
        stage: record.data.stage,
        status: "active",
        running: undefined,
        attemptsAtRetry: { ...a.attemptsAtRetry, [record.data.stage]: a.attempts[record.data.stage] ?? 0 },
        firstStarted: withoutKey(a.firstStarted, record.data.stage),
        nextHandoff: handoff(record.data.stage),
      };
    case "stage.started":
      if (a.status !== "active" || a.stage !== record.data.stage) return a;
      return {
        ...a,
        ...(record.data.stage === "verify" ? { verification: pendingUnlessStale(a) } : {}),
        running: { stage: record.data.stage, runner: record.data.runner, job: record.data.job, since: record.at },
        firstStarted: { ...a.firstStarted, [record.data.stage]: a.firstStarted[record.data.stage] ?? record.at },
        nextHandoff: `${record.data.stage}: running on the ${record.data.runner} runner${record.data.harness ? ` (${record.data.harness})` : ""}`,
      };
    case "stage.completed": {
      if (superseded(a, record.data.job)) return a;
      const costUsd = addCost(a.costUsd, record.data.stage, record.data.output);
      if (a.status !== "active" || a.stage !== record.data.stage) return { ...a, costUsd, ...(a.running?.stage === record.data.stage ? { running: undefined } : {}) };
      const attempts = bump(a.attempts, record.data.stage);
      // A new build makes any earlier verdict moot: the next one is for the commit it pushed.
      const settled = { ...a, attempts, costUsd, running: undefined, ...(record.data.stage === "build" ? { verification: "none" as Verification, verifiedSha: undefined, passedSha: undefined } : {}) };
      if (record.data.stage === "verify") {
        const verdict = verdictIn(record.data.output);
        const mapped = record.data.output?.criteria;
        if (Array.isArray(mapped)) settled.criteriaEvidence = mapped as NonNullable<Artifact["criteriaEvidence"]>;
        const sha = typeof record.data.output?.sha === "string" ? record.data.output.sha : undefined;
        // A failed verdict sends the artifact back to build, with the failure summary for the next prompt.
        if (verdict === "fail") return { ...settled, verification: "fail", verifiedSha: sha, passedSha: undefined, stage: "build", nextHandoff: "build: fixing what the verifier found" };
        Object.assign(settled, { verification: verdict === "pass" ? "pass" : a.verification, verifiedSha: sha, passedSha: verdict === "pass" ? sha : undefined });
      }
      // A new plan needs its own approval.
      if (record.data.stage === "scout") settled.scopeApproved = undefined;
      const next = nextStage(record.data.stage);
      if (next === "done") return { ...settled, stage: "done", status: "done", nextHandoff: "nobody: the line is done" };
      return { ...settled, stage: next, nextHandoff: handoff(next) };
    }
    case "stage.failed":
      if (superseded(a, record.data.job)) return a;
      if (a.status !== "active" || a.stage !== record.data.stage) return a.running?.stage === record.data.stage ? { ...a, running: undefined } : a;
      return {
        ...a,
        attempts: bump(a.attempts, record.data.stage),
        running: undefined,
        status: "blocked",
        nextHandoff: `a person: ${record.data.stage} failed (${record.data.reason}); \`/factory retry ${record.data.stage}\` runs it again`,
      };
    case "review.changes_requested": {
      // Only an artifact past the build goes back for a review; one still building takes it as feedback.
      if (a.status !== "active" && a.status !== "done") return a;
      const past = a.stage === "verify" || a.stage === "package" || a.stage === "analyst" || a.stage === "learn" || a.stage === "done";
      return {
        ...a,
        ...(past ? { stage: "build" as const, status: "active" as const, running: undefined } : {}),
        reviewRounds: a.reviewRounds + 1,
        nextHandoff: `build: addressing @${record.data.by}'s requested changes (round ${a.reviewRounds + 1})`,
      };
    }
    case "run.ended":
      return { ...a, stage: "done", status: "done", running: undefined, nextHandoff: `nobody: ${record.data.outcome}; post-run note in ${record.data.note}`, ...(record.data.learned?.length ? { learned: record.data.learned } : {}) };
    case "verify.evidence":
      // The commands ran; the verdict waits for the checks. The job is over.
      return a.running?.job === record.data.job ? { ...a, running: undefined, nextHandoff: "verify: the commands ran; waiting on the checks" } : a;
    case "verify.stale": {
      if (a.verifiedSha === undefined || a.verifiedSha === record.data.sha) return a;
      const pastVerify = a.status === "active" && a.stage !== "intake" && a.stage !== "scout" && a.stage !== "build";
      return {
        ...a,
        verification: "stale",
        ...(pastVerify ? { stage: "verify" as const, running: undefined } : {}),
        nextHandoff: `verify: the verdict for ${record.data.previous.slice(0, 7)} is stale (new head ${record.data.sha.slice(0, 7)})${pastVerify ? "; verifying again" : ""}`,
      };
    }
    case "budget.exceeded":
      if (a.status !== "active") return a;
      return {
        ...a,
        running: undefined,
        status: "blocked",
        nextHandoff: `a person: the ${record.data.limit} budget is spent (${record.data.detail}); raise it in \`.github/factory.yml\` and \`/factory retry\``,
      };
    case "event.failed":
      return {
        ...a,
        nextHandoff: record.data.transient
          ? `waiting: ${record.data.what} failed ${record.data.attempts} times (${record.data.reason.slice(0, 160)}); \`/factory retry\` picks the line up again`
          : `a person: ${record.data.what} could not be handled (${record.data.reason.slice(0, 160)}); \`/factory retry\` runs the stage again`,
      };
    case "verify.waiting": {
      if (a.stage !== "verify" || a.status !== "active") return a;
      const { sha, missing, requiredBy, overdue, graceMinutes, since } = record.data;
      const named = (missing ?? []).map((n) => `\`${n}\``).join(", ");
      const nextHandoff = !missing?.length
        ? `verify: waiting for CI to register its checks on ${sha.slice(0, 7)} (up to ${graceMinutes} min from ${since.slice(11, 16)} UTC)`
        : overdue
          ? `a maintainer: the required check${missing.length === 1 ? "" : "s"} ${named} (${requiredBy ?? "required"}) never reported on ${sha.slice(0, 7)} in ${graceMinutes} min: make CI run ${missing.length === 1 ? "it" : "them"} on pull requests, or change what is required; the verifier waits for ${missing.length === 1 ? "it" : "them"}`
          : `verify: waiting on the required check${missing.length === 1 ? "" : "s"} ${named} (${requiredBy ?? "required"}) on ${sha.slice(0, 7)}`;
      return { ...a, verification: pendingUnlessStale(a), nextHandoff };
    }
    case "verify.no_evidence":
      if (a.stage !== "verify" || a.status !== "active") return a;
      return {
        ...a,
        verification: "no-evidence",
        verifiedSha: record.data.sha,
        passedSha: undefined,
        nextHandoff: `a maintainer: nothing verified ${record.data.sha.slice(0, 7)} (no check or status within ${record.data.graceMinutes} min, no \`verify.commands\`): add CI, set \`verify.commands\` or \`verify.requiredChecks\` in \`.github/factory.yml\`, or accept it with \`/factory verify --accept-no-evidence\``,
      };
    case "verify.accepted":
      return { ...a, nextHandoff: `verify: @${record.data.by} accepted ${record.data.sha.slice(0, 7)} without evidence` };
    case "scope.approved":
      return { ...a, scopeApproved: { by: record.data.by, digest: record.data.digest }, nextHandoff: `build: @${record.data.by} approved the plan` };
    case "scope.revise":
      if (a.status !== "active" || a.pr === undefined) return a;
      return {
        ...a,
        scopeApproved: undefined,
        guidance: [...(a.guidance ?? []), record.data.guidance].slice(-5),
        stage: "scout",
        running: undefined,
        nextHandoff: `scout: revising the plan with @${record.data.by}'s guidance`,
      };
    case "artifact.revised": {
      const revised = { ...a, goal: record.data.goal, criteria: record.data.criteria, scopeApproved: undefined };
      if (!record.data.backToApproval || a.status !== "active" || a.stage === "scout") return revised;
      return { ...revised, stage: "build", running: undefined, verification: a.verification, nextHandoff: `a writer: @${record.data.by} edited the criteria after the plan was approved; approve again with \`/factory approve\` (or \`/factory revise <guidance>\`)` };
    }
    case "ship.requested":
      return { ...a, ship: { by: record.data.by, state: "waiting", sha: record.data.sha, after: record.data.after }, nextHandoff: `verify: the branch was ${record.data.behind} commit${record.data.behind === 1 ? "" : "s"} behind; the base was merged in for @${record.data.by}'s \`/factory ship\`, which merges once the new head passes` };
    case "ship.merged":
      return { ...a, ship: { by: record.data.by, state: "merged", sha: record.data.sha }, nextHandoff: `analyst: merged (${record.data.method}) by \`/factory ship\` for @${record.data.by}; the post-run note follows` };
    case "ship.cancelled":
      return a.ship?.state === "waiting" ? { ...a, ship: { ...a.ship, state: "cancelled" }, nextHandoff: `a person: @${record.data.by}'s \`/factory ship\` did not merge (${record.data.reason.slice(0, 160)})` } : a;
    case "queue.promoted":
    case "ledger.rows":
    case "config.invalid":
    case "command.answered":
      return a;
  }
}

/** Verifying a new head: a stale verdict is still shown as stale until that head has one. */
function pendingUnlessStale(a: Artifact): Verification {
  return a.verification === "stale" ? "stale" : "pending";
}

function withoutKey<T>(record: Partial<Record<Stage, T>>, key: Stage): Partial<Record<Stage, T>> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

function verdictIn(output: Record<string, unknown> | undefined): string | undefined {
  return typeof output?.verdict === "string" ? output.verdict : undefined;
}

/** A job's result counts only while that job is the one running. */
function superseded(a: Artifact, job: string | undefined): boolean {
  return job !== undefined && a.running?.job !== job;
}

/** A stage's output may report `costUsd` (the build summary does); it adds up per stage. */
function addCost(costs: Partial<Record<Stage, number>>, stage: Stage, output: Record<string, unknown> | undefined): Partial<Record<Stage, number>> {
  const cost = output?.costUsd;
  if (typeof cost !== "number" || !Number.isFinite(cost) || cost <= 0) return costs;
  return { ...costs, [stage]: (costs[stage] ?? 0) + cost };
}

function bump(attempts: Partial<Record<Stage, number>>, stage: Stage): Partial<Record<Stage, number>> {
  return { ...attempts, [stage]: (attempts[stage] ?? 0) + 1 };
}

function handoff(stage: Stage): string {
  if (stage === "analyst") return "a reviewer: review the pull request; merging or closing it writes the post-run note";
  return `${stage}: waiting for the ${stage} cell`;
}
