import type { FactoryConfig } from "../config/schema.js";
import type { Artifact } from "../state/fold.js";
import type { Stage } from "./stages.js";

/** Stages whose cells exist so far; the line waits at the first stage without one. */
export const BUILT_STAGES: readonly Stage[] = ["scout"];

/**
 * What the line should run now for this artifact, if anything: the current stage,
 * when the artifact is active and that stage's cell exists.
 */
export function runnableStage(artifact: Artifact, config: FactoryConfig): { stage: Stage; skip: boolean } | undefined {
  if (artifact.status !== "active" || artifact.pr === undefined || artifact.stage === "done" || artifact.stage === "intake") return undefined;
  const stage = artifact.stage;
  const enabled = stage in config.stages ? config.stages[stage as keyof FactoryConfig["stages"]].enabled : true;
  if (!enabled) return { stage, skip: true };
  return BUILT_STAGES.includes(stage) ? { stage, skip: false } : undefined;
}
