import type { Logger } from "probot";
import { contractFor, type CellContract } from "../cells/contracts.js";
import { jobId, type JobQueue } from "../cells/queue.js";
import type { FactoryConfig } from "../config/schema.js";
import { runnableStage } from "../line/next.js";
import { type LoadedArtifact, withRecord } from "../state/artifact-store.js";
import type { GitHubStore } from "../github/repo-port.js";
import type { SignedRecord } from "../state/records.js";
import { stageFailedView } from "../views/comments.js";
import { fitBody } from "../views/render.js";
import { spentBudget } from "./budgets.js";
import { CELL_WORKFLOW, dispatchCell, runTitle } from "./build/actions-runner.js";
import { startBuild } from "./build/start-build.js";
import { runScout } from "./scout/run-scout.js";
import { runVerify } from "./verify/run-verify.js";
import { runPackage } from "./package/run-package.js";
import { runShip, shipReady } from "./ship/run-ship.js";
import { syncViews } from "./sync-views.js";

/** What the line needs besides the artifact: the cell contracts and where jobs go. */
export interface Line {
  contracts: ReadonlyMap<string, CellContract>;
  queue: JobQueue;
  /** The installation the event came from: a job authenticates as it. */
  installationId: number;
  log: Logger;
  now?: () => Date;
  /** Asks the line to look again later (a timer event): whether a dispatched Actions run started, whether CI registered. */
  later: (timer: LineTimer, delayMs: number) => Promise<void>;
  /** How long after a dispatch the line looks for its workflow run. */
  handOffCheckMs: number;
}

/**
 * A look the line takes later: did the workflow run for job `job` start? (`attempt`
 * 1, then 2 after a second dispatch); has CI's grace period on commit `sha` ended?
 */
export type LineTimer = { kind: "handoff.check"; issue: number; job: string; attempt: 1 | 2 } | { kind: "verify.grace"; issue: number; sha: string };

/**
 * Runs whatever the line says comes next for an artifact, then brings its views up
 * to date. Inline cells (the scout) run here; the others are handed to a runner and
 * this returns at once. `trigger` (a delivery, command or job key) makes each step
 * idempotent. `sync` forces the views to be rewritten (after a job's own record).
 */
export async function advance(
  store: GitHubStore,
  config: FactoryConfig,
  line: Line,
  start: number | LoadedArtifact,
  trigger: string,
  options: { sync?: boolean } = {},
): Promise<LoadedArtifact | undefined> {
  let loaded = typeof start === "number" ? await store.load(start) : start;
  let changed = options.sync ?? false;
  await ensureHandedOff(store, config, line, loaded);
  // Bounded: each stage runs (or is skipped) at most once per call; a stage handed to a runner ends the loop.
  for (let step = 0; step < 7; step++) {
    const next = runnableStage(loaded.artifact, config);
    if (!next) break;
    const key = `${trigger}:${next.stage}`;
    if (loaded.artifact.keys.has(key)) break;
    const pr = loaded.artifact.pr as number;
    let record: SignedRecord | undefined;
    const spent = next.skip ? undefined : spentBudget(loaded.artifact, config, next.stage, (line.now ?? (() => new Date()))());
    if (next.skip) {
      record = store.record(loaded, "stage.completed", { stage: next.stage, summary: "skipped: disabled in .github/factory.yml" }, key);
      await store.port.createComment(pr, fitBody(`**${next.stage}** skipped: \`stages.${next.stage}.enabled\` is false in \`.github/factory.yml\`.`, [store.block(record)]));
    } else if (spent) {
      record = store.record(loaded, "budget.exceeded", { stage: next.stage, limit: spent.limit, detail: spent.detail }, key);
      // The line stops for a person: the issue's author is told, once, in the comment that blocks it.
      const [heading = "", ...body] = spent.comment.split("\n");
      const who = loaded.artifact.owner ? [``, `@${loaded.artifact.owner}: the line stopped here and needs a person.`] : [];
      await store.port.createComment(pr, fitBody([heading, ...who, ...body].join("\n"), [store.block(record)]));
      line.log.warn({ artifact: loaded.id, limit: spent.limit, detail: spent.detail }, "budget exceeded; artifact blocked");
    } else {
      const contract = contractFor(line.contracts, next.stage);
      if (!contract) break;
      if (next.stage === "scout") record = await runScout(store, contract, loaded, key, line.log);
      else if (next.stage === "build") record = await startBuild(store, config, line, loaded, key, jobId("build", loaded.issue, key));
      else if (next.stage === "verify") record = await runVerify(store, config, line, loaded, key);
      else if (next.stage === "package") record = await runPackage(store, config, contract, loaded, key);
      else break;
      // Pending evidence records nothing: the line waits for the next check event.
      if (!record) break;
    }
    loaded = withRecord(loaded, record);
    changed = true;
  }
  // A ship that waited on the updated branch goes on once the new head passed (or is called off, saying why).
  const ship = shipReady(loaded);
  if (ship && !loaded.artifact.keys.has(`${trigger}:ship`)) {
    const shipped = await runShip(store, config, loaded, ship.by, `${trigger}:ship`);
    let record = shipped.kind === "refused" ? undefined : shipped.record;
    if (shipped.kind === "refused") {
      record = store.record(loaded, "ship.cancelled", { by: ship.by, reason: shipped.reason }, `${trigger}:ship`);
      await store.port.createComment(loaded.artifact.pr as number, fitBody(shipped.reply, [store.block(record)]));
    }
    loaded = withRecord(loaded, record as SignedRecord);
    changed = true;
  }
  if (changed) {
    await syncViews(store, config, loaded, loaded.artifact, await store.port.issueLabels(loaded.issue), { title: loaded.artifact.title, missing: [] });
  }
  return changed ? loaded : undefined;
}

/**
 * A stage recorded as started is handed to its runner after the record is written;
 * a crash or a lost answer in between would leave it waiting forever. So the job
 * a running stage names is handed off again whenever the line looks at it: adding
 * a job the local queue already has (or had) is a no-op. An Actions run cannot be
 * asked for that way (GitHub lists a dispatched run only a while later, so a second
 * dispatch would often make a second run): a timer looks for it instead, and
 * dispatches again only if none started.
 */
async function ensureHandedOff(store: GitHubStore, config: FactoryConfig, line: Line, loaded: LoadedArtifact): Promise<void> {
  const { running, status } = loaded.artifact;
  if (!running || status !== "active") return;
  if (running.runner === "actions") {
    if (running.stage === "build") await line.later({ kind: "handoff.check", issue: loaded.issue, job: running.job, attempt: 1 }, line.handOffCheckMs);
    return;
  }
  const started = [...loaded.records].reverse().find((r) => r.kind === "stage.started" && r.data.job === running.job);
  const sha = started?.kind === "stage.started" ? started.data.sha : undefined;
  if (running.stage === "verify" && !sha) return;
  await line.queue.add({
    id: running.job,
    cell: running.stage === "verify" ? "verifier" : "builder",
    installationId: line.installationId,
    owner: store.port.ref.owner,
    repo: store.port.ref.repo,
    issue: loaded.issue,
    config,
    ...(sha ? { sha } : {}),
  });
}

/**
 * The timer after an Actions dispatch: when the artifact still waits for that job and
 * GitHub lists no run for it, the dispatch is made again, once; if there is still no
 * run after that, the stage fails with what to check. Returns the record it wrote.
 */
export async function checkHandOff(store: GitHubStore, config: FactoryConfig, line: Line, loaded: LoadedArtifact, timer: Extract<LineTimer, { kind: "handoff.check" }>): Promise<SignedRecord | undefined> {
  const { running, status } = loaded.artifact;
  if (status !== "active" || running?.job !== timer.job || running.runner !== "actions") return undefined;
  if (await store.port.findWorkflowRunTitled(CELL_WORKFLOW, runTitle("builder", timer.job))) return undefined;
  if (timer.attempt === 1) {
    line.log.warn({ artifact: loaded.id, job: timer.job }, "build: no workflow run for the dispatched job; dispatching it again");
    const contract = contractFor(line.contracts, "build");
    await line.later({ ...timer, attempt: 2 }, line.handOffCheckMs);
    await dispatchCell(store, loaded, { cell: "builder", job: timer.job, config, ...(contract ? { contract } : {}) });
    return undefined;
  }
  const reason = `No workflow run started for build job \`${timer.job}\`, dispatched twice: check that \`.github/workflows/${CELL_WORKFLOW}\` is on the default branch, has a \`workflow_dispatch\` trigger, and that Actions is enabled for this repository.`;
  const record = store.record(loaded, "stage.failed", { stage: "build", reason, job: timer.job }, `${timer.job}:done`);
  await store.port.createComment(loaded.artifact.pr as number, fitBody(stageFailedView("build", reason, []), [store.block(record)]));
  return record;
}
