import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeRecord } from "../../src/state/carriers.js";
import { fold, type Artifact } from "../../src/state/fold.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../src/state/records.js";
import { ARTIFACT, KEY, atArb, kindDataArb, signed, type KindData } from "./arbitraries.js";

const T0 = Date.parse("2025-05-01T09:00:00.000Z");

/** Builds the n-th record of a history: seq n, a minute apart, key `k<n>` unless given. */
function rec<K extends RecordKind>(seq: number, kind: K, data: RecordDataOf<K>, key = `k${seq}`): SignedRecord {
  return makeRecord(kind, data, { artifact: ARTIFACT, key, seq, at: new Date(T0 + seq * 60_000) }, KEY);
}

const OPENED: RecordDataOf<"artifact.opened"> = {
  issue: 7,
  title: "Add CSV export",
  goal: "Users can export the table as CSV",
  criteria: ["Export button downloads a .csv", "Headers match the table columns"],
  branch: "factory/7-add-csv-export",
  baseBranch: "main",
  pr: 42,
  author: "alice",
  requestedBy: "bob",
};

/** An artifact with `keys` as a sorted array, so two folds can be compared with toEqual. */
function comparable(artifact: Artifact): Omit<Artifact, "keys"> & { keys: string[] } {
  return { ...artifact, keys: [...artifact.keys].sort() };
}

describe("fold: examples", () => {
  it("starts empty: stage intake, status new, seq 0", () => {
    const a = fold(ARTIFACT, []);
    expect(a).toMatchObject({ id: ARTIFACT, stage: "intake", status: "new", seq: 0, pr: undefined, criteria: [] });
    expect([...a.keys]).toEqual([]);
  });

  it("artifact.opened makes the artifact active at scout with the request, branch and PR as given", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED)]);
    expect(a).toMatchObject({
      stage: "scout",
      status: "active",
      issue: 7,
      title: OPENED.title,
      goal: OPENED.goal,
      criteria: OPENED.criteria,
      missing: [],
      branch: OPENED.branch,
      baseBranch: "main",
      pr: 42,
      owner: "alice",
      requestedBy: "bob",
      seq: 1,
      createdAt: "2025-05-01T09:01:00.000Z",
      updatedAt: "2025-05-01T09:01:00.000Z",
    });
  });

  it("command.stop after artifact.opened stops the artifact", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "command.stop", { by: "carol" })]);
    expect(a.status).toBe("stopped");
    expect(a.stage).toBe("scout");
    expect(a.nextHandoff).toContain("@carol");
  });

  it("command.retry with stage build makes the artifact active at build", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "command.retry", { by: "carol", stage: "build" })]);
    expect(a).toMatchObject({ stage: "build", status: "active" });
  });

  it("command.retry resumes a stopped artifact", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "command.stop", { by: "carol" }), rec(3, "command.retry", { by: "carol", stage: "scout" })]);
    expect(a).toMatchObject({ stage: "scout", status: "active" });
  });

  it("command.retry before the artifact is opened changes nothing", () => {
    const a = fold(ARTIFACT, [rec(1, "command.retry", { by: "carol", stage: "build" })]);
    expect(a).toMatchObject({ stage: "intake", status: "new" });
  });

  it("intake.needs_criteria records what is missing", () => {
    const a = fold(ARTIFACT, [rec(1, "intake.needs_criteria", { title: "Add CSV export", missing: ["success criteria"] })]);
    expect(a).toMatchObject({ status: "needs-criteria", title: "Add CSV export", missing: ["success criteria"], createdAt: "2025-05-01T09:01:00.000Z" });
  });

  it("intake.needs_criteria then artifact.opened yields an active artifact with nothing missing, keeping the first createdAt", () => {
    const a = fold(ARTIFACT, [rec(1, "intake.needs_criteria", { title: "Add CSV export", missing: ["success criteria"] }), rec(2, "artifact.opened", OPENED)]);
    expect(a).toMatchObject({ status: "active", stage: "scout", missing: [], criteria: OPENED.criteria, createdAt: "2025-05-01T09:01:00.000Z" });
  });

  it("a second artifact.opened with a different PR does not change the first", () => {
    const first = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED)]);
    const both = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "artifact.opened", { ...OPENED, pr: 43, branch: "factory/7-other", title: "Other" })]);
    expect(both).toMatchObject({ pr: 42, branch: OPENED.branch, title: OPENED.title, stage: "scout", status: "active" });
    // Only the bookkeeping (seq, updatedAt, keys) may move; every other field is as after the first.
    expect({ ...comparable(both), seq: first.seq, updatedAt: first.updatedAt, keys: [] }).toEqual({ ...comparable(first), keys: [] });
  });

  it("stage.completed for scout moves to build and counts one scout attempt", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "stage.completed", { stage: "scout", summary: "found the table code" })]);
    expect(a).toMatchObject({ stage: "build", status: "active", attempts: { scout: 1 } });
  });

  it("stage.completed for a stage other than the current one changes nothing", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "stage.completed", { stage: "build", summary: "early" })]);
    expect(a).toMatchObject({ stage: "scout", status: "active", attempts: {} });
  });

  it("stage.completed for the last stage finishes the line", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "command.retry", { by: "carol", stage: "learn" }), rec(3, "stage.completed", { stage: "learn", summary: "noted" })]);
    expect(a).toMatchObject({ stage: "done", status: "done", attempts: { learn: 1 } });
  });

  it("stage.failed blocks the artifact at that stage and counts the attempt", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(2, "stage.failed", { stage: "scout", reason: "no repo access" })]);
    expect(a).toMatchObject({ stage: "scout", status: "blocked", attempts: { scout: 1 } });
    expect(a.nextHandoff).toContain("no repo access");
  });

  it("a redelivered record (same key) is applied once", () => {
    const completed = rec(2, "stage.completed", { stage: "scout", summary: "s" });
    const again = makeRecord("stage.completed", { stage: "build", summary: "s" }, { artifact: ARTIFACT, key: completed.key, seq: 3, at: new Date(T0 + 180_000) }, KEY);
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), completed, again]);
    expect(a).toMatchObject({ stage: "build", attempts: { scout: 1 } });
  });

  it("orders by seq, not by array position", () => {
    const a = fold(ARTIFACT, [rec(2, "command.stop", { by: "carol" }), rec(1, "artifact.opened", OPENED)]);
    expect(a.status).toBe("stopped");
  });

  it("tracks the highest seq and the keys applied", () => {
    const a = fold(ARTIFACT, [rec(1, "artifact.opened", OPENED), rec(5, "command.stop", { by: "carol" })]);
    expect(a.seq).toBe(5);
    expect([...a.keys].sort()).toEqual(["k1", "k5"]);
  });
});

/** Histories that open early and mostly touch scout/build, so the fold goes through many states. */
function historyRecord(at: fc.Arbitrary<Date>) {
  return fc.record({
    kd: fc.oneof(
      { weight: 1, arbitrary: kindDataArb },
      { weight: 2, arbitrary: fc.constantFrom<KindData>({ kind: "artifact.opened", data: OPENED }, { kind: "artifact.opened", data: { ...OPENED, pr: 43 } }) },
      { weight: 2, arbitrary: fc.constantFrom("scout", "build").map((stage): KindData => ({ kind: "stage.completed", data: { stage, summary: "ok" } })) },
      { weight: 1, arbitrary: fc.constantFrom("scout", "build").map((stage): KindData => ({ kind: "stage.failed", data: { stage, reason: "no" } })) },
      { weight: 1, arbitrary: fc.constantFrom("scout", "build").map((stage): KindData => ({ kind: "command.retry", data: { by: "carol", stage } })) },
    ),
    seq: fc.nat({ max: 8 }),
    at,
  });
}

/** Few distinct times, so records often tie on (seq, at) and the key decides their order. */
const fewTimes = fc.constantFrom(new Date(T0), new Date(T0 + 1000), new Date(T0 + 2000));

/** A history with distinct keys (one record per key). */
const distinctKeyHistory = fc
  .array(historyRecord(atArb), { maxLength: 14 })
  .map((items) => items.map(({ kd, seq, at }, i) => signed(kd, { seq, key: `delivery-${i}`, at })));

function permutationOf<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

describe("fold: properties", () => {
  it("is unchanged by duplicate deliveries of any subset of records, in any order", () => {
    fc.assert(
      fc.property(
        distinctKeyHistory.chain((records) =>
          fc.tuple(fc.constant(records), fc.subarray(records)).chain(([all, dupes]) => fc.tuple(fc.constant(all), permutationOf([...all, ...dupes, ...dupes]))),
        ),
        ([records, delivered]) => {
          expect(comparable(fold(ARTIFACT, delivered))).toEqual(comparable(fold(ARTIFACT, records)));
        },
      ),
    );
  });

  it("ignores a record re-written later under a key already applied (a redelivered webhook handled twice)", () => {
    fc.assert(
      fc.property(
        distinctKeyHistory.chain((records) => fc.tuple(fc.constant(records), fc.subarray(records), fc.nat({ max: 5 }))),
        ([records, redelivered, gap]) => {
          const last = Math.max(0, ...records.map((r) => r.seq));
          const rewrites = redelivered.map((r, i) =>
            signed({ kind: r.kind, data: r.data } as KindData, { seq: last + 1 + gap + i, key: r.key, at: new Date(Date.parse(r.at) + 3_600_000) }),
          );
          expect(comparable(fold(ARTIFACT, [...records, ...rewrites]))).toEqual(comparable(fold(ARTIFACT, records)));
        },
      ),
    );
  });

  it("is independent of input order for a set of records with distinct (seq, key)", () => {
    const history = fc
      .uniqueArray(fc.record({ item: historyRecord(fewTimes), key: fc.constantFrom("a", "b", "c", "d", "e", "f") }), {
        maxLength: 14,
        selector: ({ item, key }) => `${item.seq}|${key}`,
      })
      .map((items) => items.map(({ item: { kd, seq, at }, key }) => signed(kd, { seq, key, at })));
    fc.assert(
      fc.property(
        history.chain((records) => fc.tuple(fc.constant(records), permutationOf(records))),
        ([records, shuffled]) => {
          expect(comparable(fold(ARTIFACT, shuffled))).toEqual(comparable(fold(ARTIFACT, records)));
        },
      ),
    );
  });

  it("records every distinct key and the highest seq", () => {
    fc.assert(
      fc.property(distinctKeyHistory, (records) => {
        const a = fold(ARTIFACT, records);
        expect([...a.keys].sort()).toEqual(records.map((r) => r.key).sort());
        expect(a.seq).toBe(Math.max(0, ...records.map((r) => r.seq)));
      }),
    );
  });
});
