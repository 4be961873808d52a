import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeRecord } from "../../src/state/carriers.js";
import { fold, foldRecords, GENESIS, linkOf, type Artifact } from "../../src/state/fold.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../src/state/records.js";
import { ARTIFACT, KEY, atArb, kindDataArb, type KindData } from "./arbitraries.js";

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
    expect({ ...comparable(both), seq: first.seq, head: first.head, updatedAt: first.updatedAt, keys: [] }).toEqual({ ...comparable(first), keys: [] });
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
function historyRecord(at: fc.Arbitrary<Date>): fc.Arbitrary<{ kd: KindData; seq: number; at: Date }> {
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

/** A history as one writer makes it: seq 1, 2, 3 …, each record following the one before, one key each. */
const linearHistory = fc.array(historyRecord(atArb), { maxLength: 14 }).map((items) => {
  const records: SignedRecord[] = [];
  for (const [i, { kd, at }] of items.entries()) {
    const prev = records.at(-1);
    records.push(signedAfter(prev, kd, `delivery-${i}`, at));
  }
  return records;
});

function signedAfter(prev: SignedRecord | undefined, kd: KindData, key: string, at: Date): SignedRecord {
  return makeRecord(kd.kind, kd.data, { artifact: ARTIFACT, key, seq: (prev?.seq ?? 0) + 1, prev: prev ? linkOf(prev) : GENESIS, at }, KEY);
}

function permutationOf<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

describe("fold: properties", () => {
  it("is unchanged by duplicate deliveries of any subset of records, in any order", () => {
    fc.assert(
      fc.property(
        linearHistory.chain((records) =>
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
        linearHistory.chain((records) => fc.tuple(fc.constant(records), fc.subarray(records))),
        ([records, redelivered]) => {
          const rewrites: SignedRecord[] = [];
          for (const r of redelivered) {
            rewrites.push(signedAfter(rewrites.at(-1) ?? records.at(-1), { kind: r.kind, data: r.data } as KindData, r.key, new Date(Date.parse(r.at) + 3_600_000)));
          }
          const folded = foldRecords(ARTIFACT, [...records, ...rewrites]);
          expect(comparable(folded.artifact)).toEqual(comparable(fold(ARTIFACT, records)));
          expect(folded.voided).toHaveLength(rewrites.length);
        },
      ),
    );
  });

  it("is independent of input order when every record has its own seq", () => {
    fc.assert(
      fc.property(
        linearHistory.chain((records) => fc.tuple(fc.constant(records), permutationOf(records))),
        ([records, shuffled]) => {
          expect(comparable(fold(ARTIFACT, shuffled))).toEqual(comparable(fold(ARTIFACT, records)));
        },
      ),
    );
  });

  it("records every key and the last seq of one writer's history", () => {
    fc.assert(
      fc.property(linearHistory, (records) => {
        const a = fold(ARTIFACT, records);
        expect([...a.keys].sort()).toEqual(records.map((r) => r.key).sort());
        expect(a.seq).toBe(records.length);
        expect(a.head).toBe(records.length ? linkOf(records.at(-1) as SignedRecord) : undefined);
      }),
    );
  });

  /**
   * Writers that each load the thread, then append records from what they loaded, in
   * any interleaving (what two processes do when the lock cannot keep them apart).
   * Whatever the interleaving, the records that count form one chain, and every one
   * of them was decided on exactly the state that chain had before it: the result is
   * that of some serial order of the writers' steps, never a mix.
   */
  it("racing writers: one record per seq, and every record that counts was decided on the state before it", () => {
    const kinds: fc.Arbitrary<KindData> = historyRecord(fc.constant(new Date(T0))).map((h) => h.kd);
    const step: fc.Arbitrary<{ writer: number; load: boolean; kd: KindData }> = fc.record({ writer: fc.nat({ max: 2 }), load: fc.boolean(), kd: kinds });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const thread: SignedRecord[] = [];
        const views: Array<{ records: SignedRecord[]; artifact: Artifact }> = [0, 1, 2].map(() => foldRecords(ARTIFACT, []));
        const basis = new Map<string, Artifact>();
        for (const [i, { writer, load, kd }] of steps.entries()) {
          if (load) views[writer] = foldRecords(ARTIFACT, thread);
          const view = views[writer] as { records: SignedRecord[]; artifact: Artifact };
          const record = makeRecord(kd.kind, kd.data, { artifact: ARTIFACT, key: `w${writer}-${i}`, seq: view.artifact.seq + 1, prev: view.artifact.head ?? GENESIS, at: new Date(T0 + i * 1000) }, KEY);
          basis.set(record.sig, view.artifact);
          thread.push(record);
          views[writer] = foldRecords(ARTIFACT, [...view.records, record]);
        }
        const { records: chain, voided } = foldRecords(ARTIFACT, thread);
        expect(chain.length + voided.length).toBe(thread.length);
        expect(chain.map((r) => r.seq)).toEqual(chain.map((_, i) => i + 1));
        for (const [i, record] of chain.entries()) {
          expect(comparable(basis.get(record.sig) as Artifact)).toEqual(comparable(fold(ARTIFACT, chain.slice(0, i))));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("fold: writers that raced", () => {
  const opened = rec(1, "artifact.opened", OPENED);
  const after = (prev: SignedRecord, seq: number, kd: KindData, key: string) =>
    makeRecord(kd.kind, kd.data, { artifact: ARTIFACT, key, seq, prev: linkOf(prev), at: new Date(T0 + seq * 60_000) }, KEY);

  it("keeps the first record written at a seq and voids the later one, with the reason", () => {
    const first = after(opened, 2, { kind: "command.stop", data: { by: "carol" } }, "a");
    const second = after(opened, 2, { kind: "command.retry", data: { by: "dave", stage: "build" } }, "b");
    const folded = foldRecords(ARTIFACT, [opened, first, second]);
    expect(folded.artifact.status).toBe("stopped");
    expect(folded.records).toEqual([opened, first]);
    expect(folded.voided).toEqual([{ record: second, reason: "seq 2 is taken by an earlier record" }]);
  });

  it("voids what a losing writer went on to write after its first record lost", () => {
    const winner = after(opened, 2, { kind: "stage.completed", data: { stage: "scout", summary: "memo" } }, "a");
    const loser = after(opened, 2, { kind: "stage.completed", data: { stage: "scout", summary: "memo again" } }, "b");
    const loserNext = after(loser, 3, { kind: "stage.failed", data: { stage: "build", reason: "from a stale view" } }, "b2");
    const winnerNext = after(winner, 3, { kind: "command.stop", data: { by: "carol" } }, "a2");
    const folded = foldRecords(ARTIFACT, [opened, winner, loser, loserNext, winnerNext]);
    expect(folded.records).toEqual([opened, winner, winnerNext]);
    expect(folded.voided.map((v) => v.record)).toEqual([loser, loserNext]);
    expect(folded.artifact).toMatchObject({ stage: "build", status: "stopped", attempts: { scout: 1 } });
  });

  it("keeps what older versions wrote: two records without prev at one seq both count, in time order, before a newer record there", () => {
    const answered = rec(2, "command.answered", { by: "carol", command: "status", outcome: "answered" }, "a");
    const built = rec(2, "stage.completed", { stage: "scout", summary: "memo" }, "b");
    const folded = foldRecords(ARTIFACT, [built, opened, answered]);
    expect(folded.voided).toEqual([]);
    expect(folded.artifact).toMatchObject({ stage: "build", attempts: { scout: 1 }, seq: 2 });
    const late = after(built, 2, { kind: "command.stop", data: { by: "dave" } }, "c");
    expect(foldRecords(ARTIFACT, [opened, late, answered, built]).voided.map((v) => v.record)).toEqual([late]);
  });

  it("accepts a record whose predecessor is not there at all (a deleted comment), and records of older versions without prev", () => {
    const gone = after(opened, 2, { kind: "stage.completed", data: { stage: "scout", summary: "memo" } }, "a");
    const next = after(gone, 3, { kind: "command.stop", data: { by: "carol" } }, "b");
    expect(fold(ARTIFACT, [opened, next]).status).toBe("stopped");
    expect(fold(ARTIFACT, [opened, rec(2, "command.stop", { by: "carol" })]).status).toBe("stopped");
  });
});
