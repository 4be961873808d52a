import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { FactoryConfig } from "../../src/config/schema.js";
import { spentBudget } from "../../src/stages/budgets.js";
import { emptyArtifact, type Artifact } from "../../src/state/fold.js";

const NOW = new Date("2025-05-01T12:00:00.000Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function config(raw: unknown = {}): FactoryConfig {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(`bad test config: ${result.problems.join("; ")}`);
  return result.config;
}

function artifact(more: Partial<Artifact> = {}): Artifact {
  return { ...emptyArtifact("octo/widgets#7"), status: "active", stage: "build", pr: 8, createdAt: minutesAgo(1), ...more };
}

describe("spentBudget: build attempts", () => {
  it("defaults to maxBuildAttempts (3)", () => {
    expect(spentBudget(artifact({ attempts: { build: 2 } }), config(), "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ attempts: { build: 3 } }), config(), "build", NOW)).toMatchObject({
      limit: "budgets.build.attempts",
      detail: "3 attempts used of 3 attempts",
    });
  });

  it("follows a raised maxBuildAttempts", () => {
    const cfg = config({ maxBuildAttempts: 5 });
    expect(spentBudget(artifact({ attempts: { build: 4 } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ attempts: { build: 5 } }), cfg, "build", NOW)?.detail).toBe("5 attempts used of 5 attempts");
  });

  it("budgets.build.attempts overrides maxBuildAttempts", () => {
    const lower = config({ maxBuildAttempts: 5, budgets: { build: { attempts: 2 } } });
    expect(spentBudget(artifact({ attempts: { build: 1 } }), lower, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ attempts: { build: 2 } }), lower, "build", NOW)).toMatchObject({ limit: "budgets.build.attempts", detail: "2 attempts used of 2 attempts" });
    const higher = config({ maxBuildAttempts: 2, budgets: { build: { attempts: 6 } } });
    expect(spentBudget(artifact({ attempts: { build: 5 } }), higher, "build", NOW)).toBeUndefined();
  });

  it("counts from the last retry", () => {
    const cfg = config();
    expect(spentBudget(artifact({ attempts: { build: 5 }, attemptsAtRetry: { build: 3 } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ attempts: { build: 6 }, attemptsAtRetry: { build: 3 } }), cfg, "build", NOW)?.detail).toBe("3 attempts used of 3 attempts");
    // A retry of another stage does not reset the build's count.
    expect(spentBudget(artifact({ attempts: { build: 3 }, attemptsAtRetry: { scout: 3 } }), cfg, "build", NOW)?.limit).toBe("budgets.build.attempts");
  });

  it("has no per-stage attempt limit for other stages", () => {
    expect(spentBudget(artifact({ stage: "scout", attempts: { scout: 50 } }), config(), "scout", NOW)).toBeUndefined();
  });
});

describe("spentBudget: cost", () => {
  it("blocks the build once its reported cost reaches budgets.build.costUsd", () => {
    const cfg = config({ budgets: { build: { costUsd: 1 } } });
    expect(spentBudget(artifact({ costUsd: { build: 0.99 } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ costUsd: { build: 1 } }), cfg, "build", NOW)).toMatchObject({ limit: "budgets.build.costUsd", detail: "$1.00 used of $1.00" });
    expect(spentBudget(artifact({ costUsd: { build: 1.234 } }), cfg, "build", NOW)?.detail).toBe("$1.23 used of $1.00");
  });

  it("the build's cost budget does not hold another stage", () => {
    const cfg = config({ budgets: { build: { costUsd: 1, wallMinutes: 5 } } });
    expect(spentBudget(artifact({ stage: "scout", costUsd: { build: 5 }, firstStarted: { build: minutesAgo(60) } }), cfg, "scout", NOW)).toBeUndefined();
  });

  it("adds up every stage's cost against budgets.artifact.costUsd", () => {
    const cfg = config({ budgets: { artifact: { costUsd: 2 } } });
    expect(spentBudget(artifact({ costUsd: { scout: 0.5, build: 1.4 } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ costUsd: { scout: 0.5, build: 1.6 } }), cfg, "build", NOW)).toMatchObject({ limit: "budgets.artifact.costUsd", detail: "$2.10 used of $2.00" });
    // Only a stage that spends (the build) is held by cost: verifying what was paid for stays free.
    expect(spentBudget(artifact({ stage: "verify", costUsd: { build: 2 } }), cfg, "verify", NOW)).toBeUndefined();
  });

  it("adds up every stage's attempts against budgets.artifact.attempts", () => {
    const cfg = config({ maxBuildAttempts: 10, budgets: { artifact: { attempts: 4 } } });
    expect(spentBudget(artifact({ attempts: { scout: 1, build: 2 } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ attempts: { scout: 1, build: 3 } }), cfg, "build", NOW)).toMatchObject({ limit: "budgets.artifact.attempts", detail: "4 attempts used of 4 attempts" });
  });
});

describe("spentBudget: wall time", () => {
  it("counts the artifact's minutes from createdAt", () => {
    const cfg = config({ budgets: { artifact: { wallMinutes: 60 } } });
    expect(spentBudget(artifact({ createdAt: minutesAgo(59.5) }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ createdAt: minutesAgo(90.7) }), cfg, "build", NOW)).toMatchObject({ limit: "budgets.artifact.wallMinutes", detail: "90 minutes used of 60 minutes" });
  });

  it("counts the build's minutes from when it first started, not from the artifact's creation", () => {
    const cfg = config({ budgets: { build: { wallMinutes: 30 } } });
    expect(spentBudget(artifact({ createdAt: minutesAgo(600) }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ createdAt: minutesAgo(600), firstStarted: { build: minutesAgo(29) } }), cfg, "build", NOW)).toBeUndefined();
    expect(spentBudget(artifact({ firstStarted: { build: minutesAgo(45) } }), cfg, "build", NOW)).toMatchObject({ limit: "budgets.build.wallMinutes", detail: "45 minutes used of 30 minutes" });
  });

  it("never counts negative minutes for a start in the future (clock skew)", () => {
    const cfg = config({ budgets: { artifact: { wallMinutes: 1 }, build: { wallMinutes: 1 } } });
    expect(spentBudget(artifact({ createdAt: minutesAgo(-30), firstStarted: { build: minutesAgo(-30) } }), cfg, "build", NOW)).toBeUndefined();
  });
});

describe("spentBudget: result", () => {
  const ALL = config({ maxBuildAttempts: 3, budgets: { build: { costUsd: 5, wallMinutes: 60 }, artifact: { attempts: 10, costUsd: 10, wallMinutes: 600 } } });

  it("is undefined while every limit has room", () => {
    const a = artifact({ attempts: { scout: 1, build: 2 }, costUsd: { build: 4.99 }, firstStarted: { build: minutesAgo(59) }, createdAt: minutesAgo(599) });
    expect(spentBudget(a, ALL, "build", NOW)).toBeUndefined();
  });

  it("returns the stage's limit before the artifact's when both are spent", () => {
    const a = artifact({ attempts: { build: 3 }, costUsd: { build: 20 } });
    expect(spentBudget(a, ALL, "build", NOW)?.limit).toBe("budgets.build.attempts");
  });

  it("the comment names the limit, the numbers, the stage and how to go on", () => {
    const spent = spentBudget(artifact({ costUsd: { build: 5.5 } }), ALL, "build", NOW);
    expect(spent?.limit).toBe("budgets.build.costUsd");
    const comment = spent?.comment ?? "";
    expect(comment).toContain("### Blocked: `budgets.build.costUsd` is spent");
    expect(comment).toContain("The **build** stage did not run: $5.50 used of $5.00.");
    expect(comment).toContain("Raise `budgets.build.costUsd` in `.github/factory.yml`");
    expect(comment).toContain("`/factory retry build`");
  });
});
