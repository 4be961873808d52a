import { describe, expect, it } from "vitest";
import { addToChangelog, addToReleaseNotes } from "../../../src/stages/ship/release-note.js";

describe("addToChangelog", () => {
  it("leaves a line already released alone (its Unreleased part was renamed to a version since it was added)", () => {
    const released = "# Changelog\n\n## 1.1.0\n\n### Changes\n\n- Dark mode (#7)\n";
    expect(addToChangelog(released, "Changes", "Dark mode (#7)")).toBe(released);
  });

  it("adds the line under its section in Unreleased, keeping the released parts as they are", () => {
    const before = "# Changelog\n\n## Unreleased\n\n### Fixes\n\n- Older fix (#3)\n\n## 1.0.0\n\n### Fixes\n\n- Old (#1)\n";
    expect(addToChangelog(before, "Fixes", "Dark mode works (#7)")).toBe("# Changelog\n\n## Unreleased\n\n### Fixes\n\n- Older fix (#3)\n- Dark mode works (#7)\n\n## 1.0.0\n\n### Fixes\n\n- Old (#1)\n");
  });

  it("makes the section when Unreleased lacks it, and Unreleased when the file lacks it", () => {
    expect(addToChangelog("# Changelog\n\n## Unreleased\n\n### Fixes\n\n- a (#1)\n", "Features", "Dark mode (#7)")).toBe("# Changelog\n\n## Unreleased\n\n### Features\n\n- Dark mode (#7)\n\n### Fixes\n\n- a (#1)\n");
    expect(addToChangelog("# Changelog\n\n## 1.0.0\n\n- Old (#1)\n", "Features", "Dark mode (#7)")).toBe("# Changelog\n\n## Unreleased\n\n### Features\n\n- Dark mode (#7)\n\n## 1.0.0\n\n- Old (#1)\n");
    expect(addToChangelog("", "Features", "Dark mode (#7)")).toBe("## Unreleased\n\n### Features\n\n- Dark mode (#7)\n");
  });

  it("does not add a line twice (a ship tried again)", () => {
    const once = addToChangelog("# Changelog\n", "Features", "Dark mode (#7)");
    expect(addToChangelog(once, "Features", "Dark mode (#7)")).toBe(once);
  });
});

describe("addToReleaseNotes", () => {
  it("adds under the section of a draft's notes, or starts the section", () => {
    expect(addToReleaseNotes("", "Features", "Dark mode (#7)")).toBe("### Features\n\n- Dark mode (#7)\n");
    expect(addToReleaseNotes("### Features\n\n- Search (#5)\n", "Features", "Dark mode (#7)")).toBe("### Features\n\n- Search (#5)\n- Dark mode (#7)\n");
    expect(addToReleaseNotes("### Features\n\n- Search (#5)", "Fixes", "Crash on start (#8)")).toBe("### Fixes\n\n- Crash on start (#8)\n\n### Features\n\n- Search (#5)\n");
  });
});
