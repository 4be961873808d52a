import type { FactoryConfig } from "../config/schema.js";
import type { Artifact } from "../state/fold.js";
import type { Stage } from "./stages.js";
import { waitsForScope } from "./scope.js";

/** Stages whose cells exist so far; the line waits at the first stage without one. */
export const BUILT_STAGES: readonly Stage[] = ["scout", "build", "verify", "package"];

/**
 * What the line should run now for this artifact, if anything: the current stage,
 * when the artifact is active and that stage's cell exists.
 */
export function runnableStage(artifact: Artifact, config: FactoryConfig): { stage: Stage; skip: boolean } | undefined {
  if (artifact.status !== "active" || artifact.pr === undefined || artifact.stage === "done" || artifact.stage === "intake") return undefined;
  // A runner holds the stage: its result, not another run, moves the line.
  if (artifact.running) return undefined;
  const stage = artifact.stage;
  const enabled = stage in config.stages ? config.stages[stage as keyof FactoryConfig["stages"]].enabled : true;
  if (!enabled) return { stage, skip: true };
  // The scope gate: a writer approves the scout's plan before any build.
  if (waitsForScope(artifact, config)) return undefined;
  // No coding agent chosen: the line waits at build (a scout-only installation), and the tracking comment says how to choose one.
  if (stage === "build" && !config.cells.build.harness) return undefined;
  return BUILT_STAGES.includes(stage) ? { stage, skip: false } : undefined;
}

/** What the line waits for, when the configuration (not a cell) is what it waits on. */
export function configHandoff(artifact: Artifact, config: FactoryConfig): string | undefined {
  if (artifact.status === "active" && !artifact.running && waitsForScope(artifact, config)) {
    return "a writer: approve the scout's plan with `/factory approve` to start the build, or send the scout back with `/factory revise <guidance>`";
  }
  if (artifact.status === "active" && artifact.stage === "build" && !artifact.running && config.stages.build.enabled && !config.cells.build.harness) {
    return "a maintainer: choose a coding agent (`cells.build.harness` in `.github/factory.yml`), then `/factory build`";
  }
  return undefined;
}
