import type { Logger } from "probot";
import { contractFor, type CellContract } from "../cells/contracts.js";
import { jobId, type JobQueue } from "../cells/queue.js";
import type { FactoryConfig } from "../config/schema.js";
import { runnableStage } from "../line/next.js";
import { type ArtifactStore, type LoadedArtifact, withRecord } from "../state/artifact-store.js";
import type { SignedRecord } from "../state/records.js";
import { fitBody } from "../views/render.js";
import { spentBudget } from "./budgets.js";
import { dispatchCell, runTitle } from "./build/actions-runner.js";
import { startBuild } from "./build/start-build.js";
import { runScout } from "./scout/run-scout.js";
import { runVerify } from "./verify/run-verify.js";
import { runPackage } from "./package/run-package.js";
import { syncViews } from "./sync-views.js";

/** What the line needs besides the artifact: the cell contracts and where jobs go. */
export interface Line {
  contracts: ReadonlyMap<string, CellContract>;
  queue: JobQueue;
  /** The installation the event came from: a job authenticates as it. */
  installationId: number;
  log: Logger;
  now?: () => Date;
  /** An earlier try of this event failed part-way: hand-offs it may have missed are checked (an Actions dispatch). */
  resume?: boolean;
}

/**
 * Runs whatever the line says comes next for an artifact, then brings its views up
 * to date. Inline cells (the scout) run here; the others are handed to a runner and
 * this returns at once. `trigger` (a delivery, command or job key) makes each step
 * idempotent. `sync` forces the views to be rewritten (after a job's own record).
 */
export async function advance(
  store: ArtifactStore,
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
  if (changed) {
    await syncViews(store, config, loaded, loaded.artifact, await store.port.issueLabels(loaded.issue), { title: loaded.artifact.title, missing: [] });
  }
  return changed ? loaded : undefined;
}

/**
 * A stage recorded as started is handed to its runner after the record is written;
 * a crash or a lost answer in between would leave it waiting forever. So the job
 * a running stage names is handed off again whenever the line looks at it: adding
 * a job the local queue already has (or had) is a no-op, and an Actions run is
 * dispatched again only on a retry of the event, when GitHub lists none.
 */
async function ensureHandedOff(store: ArtifactStore, config: FactoryConfig, line: Line, loaded: LoadedArtifact): Promise<void> {
  const { running, status } = loaded.artifact;
  if (!running || status !== "active") return;
  const started = [...loaded.records].reverse().find((r) => r.kind === "stage.started" && r.data.job === running.job);
  if (running.runner === "local") {
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
  } else if (running.runner === "actions" && line.resume && running.stage === "build") {
    if (await store.port.findWorkflowRunTitled(runTitle("builder", running.job))) return;
    const contract = contractFor(line.contracts, "build");
    line.log.warn({ artifact: loaded.id, job: running.job }, "build: no workflow run for the started job; dispatching it again");
    await dispatchCell(store, loaded, { cell: "builder", job: running.job, config, ...(contract ? { contract } : {}) });
  }
}
