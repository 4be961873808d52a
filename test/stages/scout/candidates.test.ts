import { describe, expect, it } from "vitest";
import { isCandidate, isChangelog, isWrittenText } from "../../../src/stages/scout/candidates.js";

describe("which files the scout ranks", () => {
  it("knows changelogs by their usual names, in any folder, and changeset entries", () => {
    for (const path of ["CHANGELOG.md", "CHANGES.rst", "docs/HISTORY.md", "NEWS", "ChangeLog", "packages/ui/CHANGELOG.md", "RELEASE_NOTES.md", ".changeset/brave-cats.md"]) expect(isChangelog(path), path).toBe(true);
    for (const path of ["src/changes.ts", "src/changelog.py", "lib/history.js", "news/index.md", "docs/changelog-format.md"]) expect(isChangelog(path), path).toBe(false);
  });

  it("ranks written text only, and not changelogs (they are a constraint, not a place to look)", () => {
    expect(isCandidate("src/app.ts", 100)).toBe(true);
    expect(isCandidate("CHANGES.rst", 100)).toBe(false);
    expect(isWrittenText("CHANGES.rst", 100)).toBe(true);
    for (const path of ["package-lock.json", "node_modules/x/index.js", "logo.png", "uv.lock"]) expect(isWrittenText(path, 100), path).toBe(false);
    expect(isCandidate("src/app.ts", 0)).toBe(false);
    expect(isCandidate("src/big.ts", 600 * 1024)).toBe(false);
  });
});
