import type { FactoryConfig } from "../config/schema.js";
import type { Stage } from "../line/stages.js";
import type { Artifact } from "../state/fold.js";

export interface SpentBudget {
  /** Which limit, as `.github/factory.yml` names it: `budgets.build.attempts`. */
  limit: string;
  detail: string;
  comment: string;
}

const sum = (values: Partial<Record<string, number>>) => Object.values(values).reduce<number>((a, b) => a + (b ?? 0), 0);

/**
 * The circuit breakers, checked before a stage runs: attempts, wall time and
 * reported cost, per stage and per artifact. The first limit spent is returned,
 * and the artifact is blocked with a comment instead of looping.
 */
export function spentBudget(artifact: Artifact, config: FactoryConfig, stage: Stage, now: Date): SpentBudget | undefined {
  const stageBudget = stage === "build" ? config.budgets.build : {};
  const checks: Array<{ limit: string; max: number | undefined; value: number; unit: string }> = [
    {
      limit: `budgets.${stage}.attempts`,
      max: stage === "build" ? (config.budgets.build.attempts ?? config.maxBuildAttempts) : undefined,
      value: (artifact.attempts[stage] ?? 0) - (artifact.attemptsAtRetry[stage] ?? 0),
      unit: "attempts",
    },
    { limit: `budgets.${stage}.costUsd`, max: "costUsd" in stageBudget ? stageBudget.costUsd : undefined, value: artifact.costUsd[stage] ?? 0, unit: "USD" },
    {
      limit: `budgets.${stage}.wallMinutes`,
      max: "wallMinutes" in stageBudget ? stageBudget.wallMinutes : undefined,
      value: minutesSince(artifact.firstStarted[stage], now),
      unit: "minutes",
    },
    { limit: "budgets.artifact.attempts", max: config.budgets.artifact.attempts, value: sum(artifact.attempts), unit: "attempts" },
    // Cost gates only the stages that spend it (a harness): verifying what was already paid for stays free.
    { limit: "budgets.artifact.costUsd", max: stage === "build" ? config.budgets.artifact.costUsd : undefined, value: sum(artifact.costUsd), unit: "USD" },
    { limit: "budgets.artifact.wallMinutes", max: config.budgets.artifact.wallMinutes, value: minutesSince(artifact.createdAt, now), unit: "minutes" },
  ];
  for (const check of checks) {
    if (check.max === undefined || check.value < check.max) continue;
    const value = check.unit === "USD" ? `$${check.value.toFixed(2)}` : check.unit === "minutes" ? `${Math.floor(check.value)} minutes` : `${check.value} ${check.unit}`;
    const max = check.unit === "USD" ? `$${check.max.toFixed(2)}` : `${check.max} ${check.unit}`;
    const detail = `${value} used of ${max}`;
    return {
      limit: check.limit,
      detail,
      comment: [
        `### Blocked: \`${check.limit}\` is spent`,
        "",
        `The **${stage}** stage did not run: ${detail}. The line stops here instead of looping.`,
        "",
        `Raise \`${check.limit}\` in \`.github/factory.yml\`, or look at why the earlier attempts failed, then \`/factory retry ${stage}\`.`,
      ].join("\n"),
    };
  }
  return undefined;
}

function minutesSince(iso: string | undefined, now: Date): number {
  if (!iso) return 0;
  return Math.max(0, (now.getTime() - Date.parse(iso)) / 60_000);
}
