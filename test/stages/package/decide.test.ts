import { describe, expect, it } from "vitest";
import { decidePackage, decisionWords, mapTargets, releaseNote } from "../../../src/stages/package/decide.js";

const TARGETS = { web: ["web/**", "packages/ui/**"], desktop: ["desktop/**", "packages/ui/**"], service: ["api/**"], docs: ["**/*.md"] };

describe("the packager's decision", () => {
  it("a change to web files only: 'web only', and 0 lines for desktop", () => {
    const note = decidePackage(
      [
        { path: "web/src/theme.ts", additions: 10, deletions: 2 },
        { path: "web/src/theme.test.ts", additions: 20, deletions: 0 },
      ],
      TARGETS,
      { number: 7, title: "feat(web): dark theme", labels: [] },
    );
    expect(note.decision).toBe("web only");
    expect(note.linesPerTarget).toEqual({ web: 32, desktop: 0, service: 0, docs: 0 });
    expect(note.targets.map((t) => t.name)).toEqual(["web"]);
    expect(note.totalLines).toBe(32);
  });

  it("a change to both: 'desktop + web', with each target's lines", () => {
    const note = decidePackage(
      [
        { path: "web/src/theme.ts", additions: 5, deletions: 5 },
        { path: "desktop/main.ts", additions: 3, deletions: 1 },
      ],
      TARGETS,
      { number: 8, title: "Dark theme everywhere", labels: ["enhancement"] },
    );
    expect(note.decision).toBe("desktop + web");
    expect(note.linesPerTarget).toMatchObject({ web: 10, desktop: 4, service: 0 });
  });

  it("a shared package ships with every target that includes it; unclaimed files are 'other'", () => {
    const mapped = mapTargets(
      [
        { path: "packages/ui/button.tsx", additions: 4, deletions: 0 },
        { path: "scripts/release.sh", additions: 1, deletions: 1 },
        { path: ".github/workflows/ci.yml", additions: 2, deletions: 0 },
      ],
      TARGETS,
    );
    expect(mapped.targets.filter((t) => t.files.length).map((t) => [t.name, t.lines])).toEqual([
      ["web", 4],
      ["desktop", 4],
    ]);
    expect(mapped.other).toEqual({ name: "other", files: ["scripts/release.sh", ".github/workflows/ci.yml"], lines: 4 });
  });

  it("says when nothing deploys, and when no targets are configured", () => {
    expect(decisionWords([])).toBe("no deploy target");
    const note = decidePackage([{ path: "src/a.ts", additions: 1, deletions: 0 }], {}, { number: 1, title: "x", labels: [] });
    expect(note).toMatchObject({ decision: "no deploy target", targets: [], linesPerTarget: {}, other: { files: ["src/a.ts"], lines: 1 } });
  });
});

describe("the release-note line", () => {
  it("reads conventional commits: type, scope and breaking mark", () => {
    expect(releaseNote("feat(ui): dark theme", [], 12)).toEqual({ section: "Features", line: "- Dark theme (ui) (#12)", breaking: false });
    expect(releaseNote("fix!: drop the v1 config", [], 13)).toEqual({ section: "Fixes", line: "- **Breaking:** Drop the v1 config (#13)", breaking: true });
    expect(releaseNote("perf(api): cache the tree", [], 14).section).toBe("Performance");
  });

  it("falls back on labels, then on 'Changes'", () => {
    expect(releaseNote("Dark mode has no effect", ["bug"], 15)).toEqual({ section: "Fixes", line: "- Dark mode has no effect (#15)", breaking: false });
    expect(releaseNote("Add a theme toggle", ["enhancement", "breaking-change"], 16)).toMatchObject({ section: "Features", breaking: true });
    expect(releaseNote("Tidy things", [], 17).section).toBe("Changes");
    // A colon that is not a conventional type is part of the title.
    expect(releaseNote("TypeError: theme is undefined", [], 18)).toEqual({ section: "Changes", line: "- TypeError: theme is undefined (#18)", breaking: false });
  });
});
