import { createHash } from "node:crypto";
import type { FactoryConfig } from "../config/schema.js";
import type { Artifact } from "../state/fold.js";

/** What an approval of the plan covers: the goal and the criteria as they were. */
export function scopeDigest(goal: string, criteria: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify([goal, criteria])).digest("hex").slice(0, 16);
}

/** The scope gate holds the artifact at build: the gate is on and no approval covers its goal and criteria as they are. */
export function waitsForScope(artifact: Artifact, config: Pick<FactoryConfig, "gates">): boolean {
  return config.gates.scope && artifact.stage === "build" && artifact.scopeApproved?.digest !== scopeDigest(artifact.goal, artifact.criteria);
}
