import type { Logger } from "probot";
import { contractFor, type CellContract } from "../cells/contracts.js";
import { jobId, type JobQueue } from "../cells/queue.js";
import type { FactoryConfig } from "../config/schema.js";
import { runnableStage } from "../line/next.js";
import { type ArtifactStore, type LoadedArtifact, withRecord } from "../state/artifact-store.js";
import type { SignedRecord } from "../state/records.js";
import { fitBody } from "../views/render.js";
import { spentBudget } from "./budgets.js";
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
