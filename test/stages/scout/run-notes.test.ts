import { describe, expect, it } from "vitest";
import { MAX_RUN_NOTES, parseRunNotes, runNotePaths } from "../../../src/stages/scout/run-notes.js";

describe("post-run notes", () => {
  it("takes the newest notes under .factory/runs/, JSON only", () => {
    const files = ["src/a.ts", ".factory/runs/2026-01-02-b.json", ".factory/runs/2026-03-01-c.json", ".factory/runs/readme.md", ".factory/lessons/x.json"];
    expect(runNotePaths(files)).toEqual([".factory/runs/2026-03-01-c.json", ".factory/runs/2026-01-02-b.json"]);
    const many = Array.from({ length: 40 }, (_, i) => `.factory/runs/2026-01-${String(i).padStart(2, "0")}.json`);
    expect(runNotePaths(many)).toHaveLength(MAX_RUN_NOTES);
    expect(runNotePaths(many)[0]).toBe(".factory/runs/2026-01-39.json");
  });

  it("turns a valid note into a prior note and reports bad ones by path", () => {
    const texts = new Map([
      [".factory/runs/a.json", JSON.stringify({ v: 1, artifact: "o/r#1", title: "Dark mode", goal: "g", criteria: ["c"], changedFiles: ["src/theme.ts"] })],
      [".factory/runs/b.json", "{ not json"],
      [".factory/runs/c.json", JSON.stringify({ v: 2, artifact: "o/r#2", title: "t", changedFiles: [] })],
      [".factory/runs/d.json", JSON.stringify({ v: 1, artifact: "o/r#3", title: "t" })],
    ]);
    const { notes, unreadable } = parseRunNotes(texts);
    expect(notes).toEqual([{ ref: ".factory/runs/a.json", text: "Dark mode\ng\nc", files: ["src/theme.ts"] }]);
    expect(unreadable).toHaveLength(3);
    expect(unreadable[0]).toBe(".factory/runs/b.json (not JSON)");
    expect(unreadable[1]).toMatch(/^\.factory\/runs\/c\.json \(v: /);
    expect(unreadable[2]).toMatch(/^\.factory\/runs\/d\.json \(changedFiles: /);
  });
});
