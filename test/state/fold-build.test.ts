import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { FactoryConfig } from "../../src/config/schema.js";
import { configHandoff, runnableStage } from "../../src/line/next.js";
import { makeRecord } from "../../src/state/carriers.js";
import { emptyArtifact, fold, type Artifact } from "../../src/state/fold.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../src/state/records.js";
import { ARTIFACT, KEY } from "./arbitraries.js";

const T0 = Date.parse("2025-05-01T09:00:00.000Z");
const at = (seq: number) => new Date(T0 + seq * 60_000).toISOString();

/** The n-th record of a history: seq n, a minute apart, key `k<n>`. */
function rec<K extends RecordKind>(seq: number, kind: K, data: RecordDataOf<K>): SignedRecord {
  return makeRecord(kind, data, { artifact: ARTIFACT, key: `k${seq}`, seq, at: new Date(T0 + seq * 60_000) }, KEY);
}

const OPENED: RecordDataOf<"artifact.opened"> = {
  issue: 7,
  title: "Dark theme is never used",
  goal: "Users can switch to a dark theme",
  criteria: ["theme({ dark: true }) returns dark"],
  branch: "factory/7-dark-theme",
  baseBranch: "main",
  pr: 8,
  author: "alice",
  requestedBy: "alice",
};

/** Opened (1) and scouted (2): active at build. */
const AT_BUILD = [rec(1, "artifact.opened", OPENED), rec(2, "stage.completed", { stage: "scout", summary: "memo" })];

const started = (seq: number, job: string) => rec(seq, "stage.started", { stage: "build", runner: "local", job, harness: "command" });
const completed = (seq: number, job: string | undefined, costUsd?: unknown) =>
  rec(seq, "stage.completed", { stage: "build", summary: "built", output: costUsd === undefined ? { files: [] } : { costUsd }, ...(job ? { job } : {}) });
const failed = (seq: number, job: string | undefined) => rec(seq, "stage.failed", { stage: "build", reason: "exit 3", ...(job ? { job } : {}) });
const retry = (seq: number) => rec(seq, "command.retry", { by: "carol", stage: "build" });

/** Everything but the bookkeeping every record changes. */
function state(a: Artifact) {
  const { keys: _keys, seq: _seq, head: _head, updatedAt: _updatedAt, ...rest } = a;
  return rest;
}

describe("fold: stage.started", () => {
  it("sets running, firstStarted and the handoff", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1")]);
    expect(a.running).toEqual({ stage: "build", runner: "local", job: "job-1", since: at(3) });
    expect(a.firstStarted).toEqual({ build: at(3) });
    expect(a.nextHandoff).toBe("build: running on the local runner (command)");
    expect(a).toMatchObject({ stage: "build", status: "active" });
    expect(a.attempts.build).toBeUndefined();
  });

  it("keeps the first start time when the stage starts again", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), failed(4, "job-1"), rec(5, "stage.started", { stage: "build", runner: "actions", job: "job-2" })]);
    expect(a.firstStarted.build).toBe(at(3));
  });

  it("a later start replaces the running job", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), started(4, "job-2")]);
    expect(a.running?.job).toBe("job-2");
    expect(a.firstStarted.build).toBe(at(3));
  });

  it("is ignored for a stage the artifact is not at, or when it is not active", () => {
    const early = [rec(1, "artifact.opened", OPENED)];
    expect(state(fold(ARTIFACT, [...early, started(2, "job-1")]))).toEqual(state(fold(ARTIFACT, early)));
    const stopped = [...AT_BUILD, rec(3, "command.stop", { by: "carol" })];
    expect(state(fold(ARTIFACT, [...stopped, started(4, "job-1")]))).toEqual(state(fold(ARTIFACT, stopped)));
  });
});

describe("fold: stage.completed and stage.failed with a job", () => {
  it("completion clears running, counts the attempt, adds the cost and moves on", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), completed(4, "job-1", 0.25)]);
    expect(a).toMatchObject({ running: undefined, attempts: { scout: 1, build: 1 }, costUsd: { build: 0.25 }, stage: "verify", status: "active" });
    // The first start stays: the build's wall time counts from it.
    expect(a.firstStarted.build).toBe(at(3));
  });

  it("costs add up over the stage's runs", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), completed(4, "job-1", 0.25), retry(5), started(6, "job-2"), completed(7, "job-2", 0.5)]);
    expect(a.costUsd).toEqual({ build: 0.75 });
    expect(a.attempts.build).toBe(2);
  });

  it("ignores a cost that is not a positive number", () => {
    for (const cost of ["0.5", -1, 0, null, Number.NaN, Number.POSITIVE_INFINITY]) {
      const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), completed(4, "job-1", cost)]);
      expect(a.costUsd, String(cost)).toEqual({});
      expect(a.stage).toBe("verify");
    }
  });

  it("failure clears running, counts the attempt and blocks", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), failed(4, "job-1")]);
    expect(a).toMatchObject({ running: undefined, attempts: { scout: 1, build: 1 }, stage: "build", status: "blocked" });
    expect(a.nextHandoff).toContain("/factory retry build");
  });

  it("a completion or failure of a job that is not the running one changes nothing (superseded by a retry)", () => {
    const history = [...AT_BUILD, started(3, "job-1"), retry(4), started(5, "job-2")];
    const before = state(fold(ARTIFACT, history));
    expect(before.running?.job).toBe("job-2");
    expect(state(fold(ARTIFACT, [...history, completed(6, "job-1", 3)]))).toEqual(before);
    expect(state(fold(ARTIFACT, [...history, failed(6, "job-1")]))).toEqual(before);
    // And the running job still settles the stage afterwards.
    const a = fold(ARTIFACT, [...history, completed(6, "job-1", 3), completed(7, "job-2", 0.1)]);
    expect(a).toMatchObject({ stage: "verify", running: undefined, costUsd: { build: 0.1 }, attempts: { build: 1 } });
  });

  it("a job's result after a retry cleared the running job changes nothing", () => {
    const history = [...AT_BUILD, started(3, "job-1"), retry(4)];
    const before = state(fold(ARTIFACT, history));
    expect(state(fold(ARTIFACT, [...history, completed(5, "job-1", 1)]))).toEqual(before);
    expect(state(fold(ARTIFACT, [...history, failed(5, "job-1")]))).toEqual(before);
  });

  it("a failure arriving after command.stop clears running but keeps the artifact stopped", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), rec(4, "command.stop", { by: "carol" }), failed(5, "job-1")]);
    expect(a).toMatchObject({ status: "stopped", running: undefined, stage: "build" });
    expect(a.nextHandoff).toContain("@carol");
  });

  it("a record without a job settles the stage as before (inline stages)", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, completed(3, undefined, 0.2)]);
    expect(a).toMatchObject({ stage: "verify", costUsd: { build: 0.2 }, attempts: { build: 1 } });
  });

  it("passedSha is the commit whose last verdict passed: a stale verdict keeps it, any other verdict or a new build clears it", () => {
    const X = "a".repeat(40);
    const Y = "b".repeat(40);
    const verdict = (seq: number, sha: string, v: string) => rec(seq, "stage.completed", { stage: "verify", summary: v, output: { sha, verdict: v } });
    const built = [...AT_BUILD, completed(3, undefined)];
    const passed = [...built, verdict(4, X, "pass")];
    expect(fold(ARTIFACT, passed)).toMatchObject({ verification: "pass", verifiedSha: X, passedSha: X });
    expect(fold(ARTIFACT, [...passed, rec(5, "verify.stale", { sha: Y, previous: X })])).toMatchObject({ verification: "stale", verifiedSha: X, passedSha: X });
    // Verified at `verify` with no evidence, then made stale: its sha is the last verdict's, but nothing passed there.
    const noEvidence = [...built, rec(4, "verify.no_evidence", { sha: X, graceMinutes: 0 }), rec(5, "verify.stale", { sha: Y, previous: X })];
    expect(fold(ARTIFACT, noEvidence)).toMatchObject({ verification: "stale", verifiedSha: X, passedSha: undefined });
    expect(fold(ARTIFACT, [...built, verdict(4, X, "fail")])).toMatchObject({ verification: "fail", verifiedSha: X, passedSha: undefined });
    const rebuilt = [...passed, rec(5, "stage.completed", { stage: "package", summary: "packaged" }), rec(6, "review.changes_requested", { by: "carol", review: 1, url: "https://github.com/o/r/pull/42#review-1", body: "no", comments: [] })];
    const again = fold(ARTIFACT, [...rebuilt, completed(7, undefined)]);
    expect(again.passedSha).toBeUndefined();
  });
});

describe("fold: command.retry and budget.exceeded", () => {
  it("retry clears running and records attempts at the retry, resetting the wall clock", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), failed(4, "job-1"), started(5, "job-x"), retry(6)]);
    expect(a).toMatchObject({ status: "active", stage: "build", running: undefined, attemptsAtRetry: { build: 1 }, attempts: { build: 1 } });
    expect(a.firstStarted.build).toBeUndefined();
  });

  it("retry while a job runs clears it, so the line can start another", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), retry(4)]);
    expect(a.running).toBeUndefined();
    expect(a.attemptsAtRetry).toEqual({ build: 0 });
  });

  // Known bug (reported): retry stores `firstStarted.build = undefined`, and stage.started spreads
  // the old firstStarted over the new time (`{ [stage]: at, ...a.firstStarted }`), so the explicit
  // undefined wins: after any retry the build's wall-time budget never counts again.
  it("the first start after a retry sets firstStarted again", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), failed(4, "job-1"), retry(5), started(6, "job-2")]);
    expect(a.running?.job).toBe("job-2");
    expect(a.firstStarted.build).toBe(at(6));
  });

  it("budget.exceeded blocks the artifact and clears running, naming the limit", () => {
    const a = fold(ARTIFACT, [...AT_BUILD, started(3, "job-1"), rec(4, "budget.exceeded", { stage: "build", limit: "budgets.build.costUsd", detail: "$5.50 used of $5.00" })]);
    expect(a).toMatchObject({ status: "blocked", running: undefined, stage: "build" });
    expect(a.nextHandoff).toContain("budgets.build.costUsd");
    expect(a.nextHandoff).toContain("$5.50 used of $5.00");
  });

  it("budget.exceeded on an artifact that is not active changes nothing", () => {
    const stopped = [...AT_BUILD, rec(3, "command.stop", { by: "carol" })];
    const exceeded = rec(4, "budget.exceeded", { stage: "build", limit: "budgets.build.attempts", detail: "3 attempts used of 3 attempts" });
    expect(state(fold(ARTIFACT, [...stopped, exceeded]))).toEqual(state(fold(ARTIFACT, stopped)));
  });
});

function config(raw: unknown = {}): FactoryConfig {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(`bad test config: ${result.problems.join("; ")}`);
  return result.config;
}

const WITH_HARNESS = config({ cells: { build: { harness: "claude-code" } } });
const NO_HARNESS = config();

function artifactAt(stage: Artifact["stage"], more: Partial<Artifact> = {}): Artifact {
  return { ...emptyArtifact(ARTIFACT), status: "active", pr: 8, stage, ...more };
}

describe("runnableStage", () => {
  it("runs the build when a harness is chosen and nothing runs", () => {
    expect(runnableStage(artifactAt("build"), WITH_HARNESS)).toEqual({ stage: "build", skip: false });
  });

  it("runs nothing while a job is running", () => {
    const running = { stage: "build" as const, runner: "local", job: "job-1", since: at(1) };
    expect(runnableStage(artifactAt("build", { running }), WITH_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("scout", { running: { ...running, stage: "scout" } }), WITH_HARNESS)).toBeUndefined();
  });

  it("waits at build (undefined) when no harness is chosen, but runs the scout", () => {
    expect(runnableStage(artifactAt("build"), NO_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("scout"), NO_HARNESS)).toEqual({ stage: "scout", skip: false });
  });

  it("skips a disabled build, harness or not", () => {
    expect(runnableStage(artifactAt("build"), config({ stages: { build: { enabled: false } } }))).toEqual({ stage: "build", skip: true });
  });

  it("runs nothing for an artifact that is not active, has no PR, or is done", () => {
    expect(runnableStage(artifactAt("build", { status: "blocked" }), WITH_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("build", { status: "stopped" }), WITH_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("build", { pr: undefined }), WITH_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("done"), WITH_HARNESS)).toBeUndefined();
    expect(runnableStage(artifactAt("intake"), WITH_HARNESS)).toBeUndefined();
  });
});

describe("configHandoff", () => {
  it("says how to choose a coding agent when the line waits at build for one", () => {
    const handoff = configHandoff(artifactAt("build"), NO_HARNESS);
    expect(handoff).toContain("`cells.build.harness`");
    expect(handoff).toContain("`.github/factory.yml`");
    expect(handoff).toContain("`/factory build`");
  });

  it("is undefined when a harness is chosen, the build is disabled or running, or the artifact is elsewhere", () => {
    expect(configHandoff(artifactAt("build"), WITH_HARNESS)).toBeUndefined();
    expect(configHandoff(artifactAt("build"), config({ stages: { build: { enabled: false } } }))).toBeUndefined();
    expect(configHandoff(artifactAt("build", { running: { stage: "build", runner: "local", job: "j", since: at(1) } }), NO_HARNESS)).toBeUndefined();
    expect(configHandoff(artifactAt("scout"), NO_HARNESS)).toBeUndefined();
    expect(configHandoff(artifactAt("build", { status: "blocked" }), NO_HARNESS)).toBeUndefined();
  });
});
