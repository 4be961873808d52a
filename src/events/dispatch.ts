import type { ProbotOctokit } from "probot";
import type { FactoryConfig } from "../config/schema.js";
import { readConfigFile } from "../github/config-file.js";
import { RepoPort } from "../github/repo-port.js";
import { refreshLedger } from "../ledger/refresh-ledger.js";
import { collectQueue, type QueuedCandidate } from "../ledger/queue.js";
import { promoteCandidate } from "./promote.js";
import { advance, checkHandOff, type LineTimer } from "../stages/advance.js";
import { syncViews } from "../stages/sync-views.js";
import { ArtifactStore, withRecord } from "../state/artifact-store.js";
import { fitBody } from "../views/render.js";
import { alreadyDone, begunBy, type Deps, type EventContext } from "./context.js";
import { artifactIssue } from "./from-webhook.js";
import { handleCommand } from "./handle-comment.js";
import { handleChecks, handleSynchronize } from "./handle-checks.js";
import { handleIntake } from "./handle-intake.js";
import { handleCellRun, handleJobDead, handleJobDone } from "./handle-jobs.js";
import { handlePullClosed, handleReview } from "./handle-pull-end.js";
import type { DeadEventHandler, EventHandler } from "./inbox.js";
import { parseRequest } from "../stages/intake/parse-request.js";
import { lineEvent, lockKey, repositoryLockKey, targetIssue, type EventKind, type EventOf, type LineEvent } from "./line-event.js";
import type { Lease } from "./locks.js";
import { loadConfig } from "./load-config.js";

type Handlers = { [K in EventKind]: (ctx: EventContext, event: EventOf<K>) => Promise<void> };

const HANDLERS: Handlers = {
  intake: handleIntake,
  command: handleCommand,
  checks: handleChecks,
  "cell.run": handleCellRun,
  "pull.synchronize": handleSynchronize,
  "pull.closed": handlePullClosed,
  review: handleReview,
  "job.done": handleJobDone,
  "job.dead": handleJobDead,
  "event.failed": handleEventFailed,
  "handoff.check": handleHandOffCheck,
  "verify.grace": handleVerifyGrace,
  ledger: handleLedger,
};

/** The event a timer becomes: its id names what it looks at, so asking twice for one look queues it once. */
function timerEvent(from: LineEvent, timer: LineTimer): LineEvent {
  const base = { installationId: from.installationId, owner: from.owner, repo: from.repo, target: { issue: timer.issue } };
  if (timer.kind === "verify.grace") {
    return lineEvent("verify.grace", { ...base, id: `grace:${timer.issue}:${timer.sha}`, what: `the end of CI's grace period on ${timer.sha.slice(0, 7)}`, data: { sha: timer.sha } });
  }
  return lineEvent("handoff.check", { ...base, id: `${timer.job}:check-${timer.attempt}`, what: `the look for build job ${timer.job}'s workflow run`, data: { job: timer.job, attempt: timer.attempt } });
}

/** CI's grace period on a commit ended: the artifact, if it still waits at verify on that commit, is judged on what is there. */
async function handleVerifyGrace(ctx: EventContext, event: EventOf<"verify.grace">): Promise<void> {
  const config = await ctx.config();
  if (!config) return;
  const issue = targetIssue(event);
  const loaded = await ctx.store.load(issue);
  const { artifact } = loaded;
  const begun = begunBy(loaded, event.id);
  if (!begun && (artifact.stage !== "verify" || artifact.status !== "active" || artifact.running)) return;
  if (await advance(ctx.store, config, ctx.line, loaded, event.id, { sync: true })) await ctx.changed(config, issue);
}

async function handleHandOffCheck(ctx: EventContext, event: EventOf<"handoff.check">): Promise<void> {
  const config = await ctx.config();
  if (!config) return;
  const issue = targetIssue(event);
  const loaded = await ctx.store.load(issue);
  // The failure this timer recorded, if an earlier try wrote it and then died: its views and the ledger are finished now.
  if (await alreadyDone(ctx, config, loaded, `${event.data.job}:done`, event.data.job)) return;
  const record = await checkHandOff(ctx.store, config, ctx.line, loaded, { kind: "handoff.check", issue, job: event.data.job, attempt: event.data.attempt });
  if (!record) return;
  await advance(ctx.store, config, ctx.line, withRecord(loaded, record), event.data.job, { sync: true });
  await ctx.changed(config, issue);
}

/**
 * The one handler loop every trigger goes through. For each event: find the
 * artifact it is for (a PR comment's artifact is read from the PR's branch), take
 * that artifact's lock, load the artifact fresh from GitHub, and run the event's
 * handler. Every write to GitHub first checks that the lock is still held, so a
 * holder whose lease lapsed stops rather than writes over its successor.
 */
export function eventHandler(deps: Deps): EventHandler {
  return async (event, attempt) => {
    await deps.gate.quiet();
    const log = deps.log.child({ event: event.id, kind: event.kind, repo: `${event.owner}/${event.repo}`, attempt });
    const octokit = await deps.auth(event.installationId);
    const repo = { owner: event.owner, repo: event.repo };
    const port = new RepoPort(octokit, repo, deps.caches);
    const target = "pull" in event.target ? { issue: artifactIssue(await port.pullHeadRef(event.target.pull)) ?? event.target.pull } : event.target;
    await deps.locks.run(lockKey(event.owner, event.repo, target), async (lease) => {
      fenceWrites(octokit, lease);
      octokit.hook.before("request", () => deps.gate.quiet());
      const store = new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log, now: deps.now });
      let config: Promise<FactoryConfig | undefined> | undefined;
      const ctx: EventContext = {
        deps,
        event,
        attempt,
        store,
        log,
        line: {
          contracts: deps.contracts,
          queue: deps.queue,
          installationId: event.installationId,
          log,
          handOffCheckMs: deps.handOffCheckMs,
          now: deps.now,
          later: (timer, delayMs) => deps.inbox.push(timerEvent(event, timer), { delayMs }),
        },
        config: (report) => (config ??= loadConfig(() => readConfigFile(octokit, repo, event.id, log), store, report, log)),
        changed: (current, issue) => noteChanged(deps, event, current, issue),
      };
      // Handlers see the artifact the event is for: a PR comment's target is the artifact's issue by now.
      await (HANDLERS[event.kind] as (ctx: EventContext, event: LineEvent) => Promise<void>)(ctx, { ...event, target });
    });
  };
}

/** Before each write (anything but a read), the holder checks it still holds the artifact's lock. */
function fenceWrites(octokit: ProbotOctokit, lease: Lease): void {
  octokit.hook.before("request", async (options) => {
    if (options.method !== "GET" && options.method !== "HEAD") await lease.check();
  });
}

/**
 * The ledger catches up with an artifact that changed: the artifact is marked, and
 * one ledger event per repository and `ledgerDelayMs` window gathers a burst of
 * changes into one refresh.
 */
async function noteChanged(deps: Deps, event: LineEvent, config: FactoryConfig, issue: number): Promise<void> {
  if (!config.ledger.issue) return;
  const repository = `${event.owner}/${event.repo}`;
  await deps.changed.mark(repository, issue);
  const window = Math.max(1, deps.ledgerDelayMs);
  const bucket = Math.floor(Date.now() / window);
  await deps.inbox.push(
    lineEvent("ledger", {
      id: `ledger-${repository.toLowerCase()}-${bucket}`,
      installationId: event.installationId,
      owner: event.owner,
      repo: event.repo,
      target: { ledger: true },
      what: "the ledger",
      data: {},
    }),
    { delayMs: (bucket + 1) * window - Date.now() },
  );
}

/** The ledger refresh, holding the repository's ledger lock; the marks it read are cleared only once it is done. */
async function handleLedger(ctx: EventContext, event: EventOf<"ledger">): Promise<void> {
  const config = await ctx.config();
  if (!config?.ledger.issue) return;
  const marks = await ctx.deps.changed.marked(`${event.owner}/${event.repo}`);
  const { queue } = await queueFor(ctx, config);
  const outcome = await refreshLedger(ctx.store, config, ctx.log, { changed: [...marks.issues, ...(event.data.issue ? [event.data.issue] : [])], nextUp: queue });
  await marks.clear();
  ctx.log.debug({ ...outcome, candidates: queue.length }, "ledger refreshed");
  // intake.autoPromote: top up the artifacts in flight from the demand queue (this holds the ledger lock: one process at a time).
  const room = config.intake.autoPromote - (outcome.inFlight ?? 0);
  if (room <= 0) return;
  // One promotion at a time in the repository (a `/factory next` may be choosing now): the queue is read inside.
  await ctx.deps.locks.run(repositoryLockKey(event.owner, event.repo, "promote"), () => autoPromote(ctx, config, event, outcome, room));
}

/** `intake.autoPromote`'s promotions, `room` of them at most, from the queue as it is now. */
async function autoPromote(ctx: EventContext, config: FactoryConfig, event: LineEvent, outcome: { inFlight?: number }, room: number): Promise<void> {
  // Read fresh, holding the promotion lock: a cached queue, or the one read before the lock, may not have the candidates labelled since.
  const { queue: fresh } = await queueFor(ctx, config, { fresh: true });
  // A candidate without success criteria would only wait for its author: it is left for a person (`/factory next`) or for its criteria.
  const ready = fresh.filter((candidate) => {
    const missing = parseRequest(candidate.issue.title, candidate.issue.body).missing.length > 0;
    if (missing) ctx.log.debug({ issue: candidate.number }, "demand queue: not auto-promoting a candidate without success criteria");
    return !missing;
  });
  if (ready.length > 0) {
    const defaultBranch = await ctx.store.port.defaultBranch();
    for (const candidate of ready.slice(0, room)) {
      ctx.log.info({ issue: candidate.number, score: candidate.score, inFlight: outcome.inFlight, autoPromote: config.intake.autoPromote }, "demand queue: promoting a candidate (intake.autoPromote)");
      await promoteCandidate(ctx, config, event, candidate.issue, ctx.store.botLogin, defaultBranch, `auto-promote:${candidate.number}`);
    }
    queuesOf(ctx).delete(ctx.store.port.fullName);
  }
}

/**
 * The demand queue per repository, read at most every 10 minutes per app instance (it
 * costs a listing and a page of comments per top candidate). `/factory next` always
 * reads it fresh; the ledger's "Next up" may lag by that much.
 */
const QUEUES = new WeakMap<object, Map<string, { at: number; queue: QueuedCandidate[] }>>();
const QUEUE_TTL_MS = 10 * 60_000;

function queuesOf(ctx: EventContext): Map<string, { at: number; queue: QueuedCandidate[] }> {
  let queues = QUEUES.get(ctx.deps);
  if (!queues) QUEUES.set(ctx.deps, (queues = new Map()));
  return queues;
}

async function queueFor(ctx: EventContext, config: FactoryConfig, options: { fresh?: boolean } = {}): Promise<{ queue: QueuedCandidate[]; read: boolean }> {
  const key = ctx.store.port.fullName;
  const now = ctx.store.now().getTime();
  const QUEUES = queuesOf(ctx);
  const cached = QUEUES.get(key);
  if (cached && !options.fresh && now - cached.at < QUEUE_TTL_MS) return { queue: cached.queue, read: false };
  const queue = await collectQueue(ctx.store, config, now);
  if (QUEUES.size > 1_000) QUEUES.clear();
  QUEUES.set(key, { at: now, queue });
  return { queue, read: true };
}

/**
 * An event the inbox gave up on is shown on its artifact, once: a transient failure
 * says the line waits and what picks it up again; a permanent one says what could
 * not be done. Ledger refreshes and these reports themselves are only logged.
 */
export function deadEventHandler(deps: Deps): DeadEventHandler {
  return async (event, failure, attempts) => {
    const fields = { event: event.id, kind: event.kind, repo: `${event.owner}/${event.repo}`, attempts, reason: failure.reason };
    deps.log.error(fields, `gave up on ${event.what}`);
    if (event.kind === "event.failed" || event.kind === "ledger") return;
    await deps.inbox.push(
      lineEvent("event.failed", {
        id: `${event.id}:failed`,
        installationId: event.installationId,
        owner: event.owner,
        repo: event.repo,
        target: event.target,
        what: event.what,
        data: { event: event.id, kind: event.kind, what: event.what, reason: failure.reason.slice(0, 2000), transient: failure.kind === "transient", attempts },
      }),
    );
  };
}

async function handleEventFailed(ctx: EventContext, event: EventOf<"event.failed">): Promise<void> {
  const { store } = ctx;
  const issue = targetIssue(event);
  const loaded = await store.load(issue);
  const key = `${event.data.event}:failed`;
  if (loaded.artifact.keys.has(key)) return;
  const { what, reason, transient, attempts } = event.data;
  const record = store.record(loaded, "event.failed", { what, reason, transient, attempts }, key);
  const text = transient
    ? `### Waiting on GitHub\n\nHandling ${what} failed ${attempts} time${attempts === 1 ? "" : "s"} (${reason}), so the factory stopped trying it. ${loaded.artifact.pr !== undefined ? "`/factory retry` picks the line up again." : "Remove and add the intake label to try again."}`
    : `### Could not handle ${what}\n\n${reason}\n\nNothing more is tried for it.${loaded.artifact.pr !== undefined ? " `/factory retry` runs the current stage again." : ""}`;
  await store.port.createComment(loaded.artifact.pr ?? issue, fitBody(text, [store.block(record)]));
  const config = await ctx.config();
  if (!config || loaded.artifact.pr === undefined) return;
  // The tracking comment says it waits and why; nothing is run again until an event or a person asks.
  const updated = withRecord(loaded, record);
  await syncViews(store, config, updated, updated.artifact, await store.port.issueLabels(issue), { title: updated.artifact.title, missing: [] });
  await ctx.changed(config, issue);
}
