import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderLesson, type Lesson } from "../../../src/stages/learn/lesson-file.js";
import { LESSON_STATS, lessonFiles, lessonOutcome, parseStats, proposeLessons, readLessons, selectLessons, updateStats } from "../../../src/stages/learn/lessons.js";
import { makeRecord } from "../../../src/state/carriers.js";

const KEY = Buffer.from("k".repeat(32));
const NOW = new Date("2026-11-25T12:00:00Z");
const record = <K extends Parameters<typeof makeRecord>[0]>(kind: K, data: Parameters<typeof makeRecord<K>>[1], seq: number) =>
  makeRecord(kind, data, { artifact: "o/r#1", key: `k${seq}`, seq, at: new Date(`2026-11-25T10:0${seq}:00.000Z`) }, KEY);

const lesson = (id: string, paths: string[], keywords: string[] = []): Lesson => ({ id, title: `Lesson ${id}`, paths, keywords, sources: [], created: "2026-11-01", body: `Do ${id}.` });

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("proposeLessons", () => {
  it("turns each requested change into a lesson on its file, citing the comment, and a verifier failure into one on the failing file", () => {
    const records = [
      record(
        "review.changes_requested",
        {
          by: "maintainer",
          review: 9,
          url: "https://github.com/o/r/pull/2#pullrequestreview-9",
          body: "Please fix these.",
          comments: [{ path: "src/theme.js", line: 2, body: "Use strict equality here. Loose equality hides bugs.", url: "https://github.com/o/r/pull/2#discussion_r1" }],
        },
        1,
      ),
      record("stage.completed", { stage: "verify", summary: "fail", output: { verdict: "fail", summary: "Command `npm test` failed.\n- default is the light theme: expected 'dark' to be 'light' at test/theme.test.js:8" } }, 2),
    ];
    const lessons = proposeLessons(records, { now: NOW, max: 5, existing: new Set(), prUrl: "https://github.com/o/r/pull/2" });
    expect(lessons).toHaveLength(2);
    expect(lessons[0]).toMatchObject({ id: "use-strict-equality-here", title: "Use strict equality here.", paths: ["src/theme.js"], sources: ["https://github.com/o/r/pull/2#discussion_r1"], created: "2026-11-25" });
    expect(lessons[0]?.body).toContain("> Use strict equality here. Loose equality hides bugs.");
    expect(lessons[1]).toMatchObject({ paths: ["test/theme.test.js"], sources: ["https://github.com/o/r/pull/2"] });
    expect(lessons[1]?.title).toMatch(/^Keep test\/theme\.test\.js passing: default is the light theme/);
    // Accepted ids and the budget are respected; the files render as parseable lessons.
    expect(proposeLessons(records, { now: NOW, max: 1, existing: new Set(), prUrl: "" })).toHaveLength(1);
    expect(proposeLessons(records, { now: NOW, max: 5, existing: new Set(["use-strict-equality-here"]), prUrl: "" }).map((l) => l.id)).not.toContain("use-strict-equality-here");
    expect(Object.keys(lessonFiles(lessons))).toEqual([`.factory/lessons/${lessons[0]?.id}.md`, `.factory/lessons/${lessons[1]?.id}.md`]);
  });
});

describe("choosing and crediting lessons", () => {
  it("reads accepted lessons and their stats from a checkout, reporting the unreadable ones", async () => {
    const root = mkdtempSync(join(tmpdir(), "factory-lessons-"));
    dirs.push(root);
    mkdirSync(join(root, ".factory/lessons"), { recursive: true });
    writeFileSync(join(root, ".factory/lessons/a.md"), renderLesson(lesson("theme-tests", ["src/**"])));
    writeFileSync(join(root, ".factory/lessons/broken.md"), "no front matter");
    writeFileSync(join(root, LESSON_STATS), JSON.stringify({ "theme-tests": { alpha: 5, beta: 1, updatedAt: NOW.toISOString() } }));
    const read = await readLessons(root);
    expect(read.lessons.map((l) => l.id)).toEqual(["theme-tests"]);
    expect(read.stats["theme-tests"]).toMatchObject({ alpha: 5, beta: 1 });
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]).toContain(".factory/lessons/broken.md");
    expect(await readLessons(join(root, "nowhere"))).toEqual({ lessons: [], stats: {}, problems: [] });
  });

  it("selects only matching lessons, at most k, reproducibly for a job", () => {
    const lessons = [lesson("a", ["src/**"]), lesson("b", ["docs/**"]), lesson("c", [], ["theme"]), lesson("d", ["src/theme.js"])];
    const target = { paths: ["src/theme.js"], text: "Dark theme", seed: "build-1-abc", now: NOW, k: 2 };
    const first = selectLessons(lessons, {}, target).map((c) => c.lesson.id);
    expect(first).toHaveLength(2);
    expect(first.every((id) => id !== "b")).toBe(true);
    expect(selectLessons(lessons, {}, target).map((c) => c.lesson.id)).toEqual(first);
  });

  it("credits the lessons a clean run used and debits those of a run that needed fixing", () => {
    expect(lessonOutcome({ verifyFirstTry: true, reviewRounds: 0 })).toBe("success");
    expect(lessonOutcome({ verifyFirstTry: true, reviewRounds: 1 })).toBe("failure");
    expect(lessonOutcome({ verifyFirstTry: false, reviewRounds: 0 })).toBe("failure");
    const stats = updateStats({ a: { alpha: 2, beta: 1, updatedAt: NOW.toISOString() } }, ["a", "b", "a"], "success", NOW);
    expect(stats.a).toMatchObject({ alpha: 3, beta: 1 });
    expect(stats.b).toMatchObject({ alpha: 2, beta: 1 });
    expect(parseStats("{oops").problem).toContain("not JSON");
    expect(parseStats(JSON.stringify({ a: { alpha: -1, beta: 1, updatedAt: "x" } })).problem).toContain(LESSON_STATS);
  });
});
