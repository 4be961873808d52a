/** The line: one shared sequence of stages. Only `package` branches (by target), later. */
export const STAGES = ["intake", "scout", "build", "verify", "package", "analyst", "learn"] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

/** The stage after `stage`, or `done` after the last one. */
export function nextStage(stage: Stage): Stage | "done" {
  const index = STAGES.indexOf(stage);
  return STAGES[index + 1] ?? "done";
}
