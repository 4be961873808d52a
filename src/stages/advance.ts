import type { Logger } from "probot";
import type { CellContract } from "../cells/contracts.js";
import type { FactoryConfig } from "../config/schema.js";
import { runnableStage } from "../line/next.js";
import type { ArtifactStore, LoadedArtifact } from "../state/artifact-store.js";
import { fold } from "../state/fold.js";
import { fitBody } from "../views/render.js";
import { runScout } from "./scout/run-scout.js";
import { syncViews } from "./sync-views.js";

/**
 * Runs whatever the line says comes next for an artifact, then brings its views
 * up to date. `trigger` (a delivery or command key) makes each run idempotent.
 */
export async function advance(
  store: ArtifactStore,
  config: FactoryConfig,
  contracts: ReadonlyMap<string, CellContract>,
  issue: number,
  trigger: string,
  log: Logger,
): Promise<LoadedArtifact | undefined> {
  let loaded = await store.load(issue);
  let changed = false;
  // Bounded: a disabled stage is skipped and the next one considered, at most once per stage.
  for (let step = 0; step < 7; step++) {
    const next = runnableStage(loaded.artifact, config);
    if (!next) break;
    const key = `${trigger}:${next.stage}`;
    if (loaded.artifact.keys.has(key)) break;
    const pr = loaded.artifact.pr as number;
    let record;
    if (next.skip) {
      record = store.record(loaded, "stage.completed", { stage: next.stage, summary: "skipped: disabled in .github/factory.yml" }, key);
      await store.port.createComment(pr, fitBody(`**${next.stage}** skipped: \`stages.${next.stage}.enabled\` is false in \`.github/factory.yml\`.`, [store.block(record)]));
    } else {
      const contract = contracts.get(next.stage);
      if (!contract) break;
      record = await runScout(store, contract, loaded, key, log);
    }
    const records = [...loaded.records, record];
    loaded = { ...loaded, records, artifact: fold(loaded.id, records) };
    changed = true;
    if (!next.skip) break;
  }
  if (changed) {
    await syncViews(store, config, loaded, loaded.artifact, await store.port.issueLabels(issue), { title: loaded.artifact.title, missing: [] });
  }
  return changed ? loaded : undefined;
}
