import { describe, expect, it } from "vitest";
import { branchName, parseRequest } from "../../../src/stages/intake/parse-request.js";

describe("parseRequest", () => {
  it("reads the issue form's Goal and Success criteria sections, skipping empty answers", () => {
    const body = "### Goal\n\nUsers want dark mode.\n\n### Success criteria\n\n- [ ] a toggle in settings\n- [x] the choice persists\n\n### Context\n\n_No response_";
    expect(parseRequest("Dark mode", body)).toEqual({
      goal: "Users want dark mode.",
      criteria: ["a toggle in settings", "the choice persists"],
      missing: [],
    });
  });

  it("accepts free text with a 'Success criteria:' line and bullets", () => {
    const parsed = parseRequest("Dark mode", "We need dark mode.\n\nSuccess criteria:\n* toggle\n* persists\n1. numbered too");
    expect(parsed.goal).toBe("We need dark mode.");
    expect(parsed.criteria).toEqual(["toggle", "persists", "numbered too"]);
  });

  it("accepts Acceptance criteria and bold headings", () => {
    expect(parseRequest("t", "**Acceptance criteria**\n- one").criteria).toEqual(["one"]);
  });

  it("says exactly what is missing when there is no criteria section", () => {
    const parsed = parseRequest("Dark mode", "We need dark mode.");
    expect(parsed.criteria).toEqual([]);
    expect(parsed.missing).toHaveLength(1);
    expect(parsed.missing[0]).toMatch(/Success criteria\*\* section/);
  });

  it("says the section is empty when it has no items", () => {
    const parsed = parseRequest("Dark mode", "## Success criteria\n\nTBD\n");
    expect(parsed.missing[0]).toMatch(/section is empty/);
  });

  it("ignores list items inside fenced code and headings inside HTML comments", () => {
    const parsed = parseRequest("t", "<!-- ### Success criteria\n- hidden -->\n## Success criteria\n```\n- not a criterion\n```\n- real one");
    expect(parsed.criteria).toEqual(["real one"]);
  });

  it("falls back to the title as the goal", () => {
    expect(parseRequest("Add dark mode", "### Success criteria\n- x").goal).toBe("Add dark mode");
  });

  it("handles a null body", () => {
    expect(parseRequest("t", null).missing).toHaveLength(1);
  });
});

describe("branchName", () => {
  it("makes a short ASCII slug from the title", () => {
    expect(branchName("factory/", 12, "Add dark mode — to the Settings page!! ünïcode and a very long title indeed")).toBe(
      "factory/12-add-dark-mode-to-the-settings-page",
    );
  });

  it("gives a title with nothing to transliterate a stable short hash, never an empty slug", () => {
    expect(branchName("factory/", 7, "!!!")).toMatch(/^factory\/7-x[0-9a-f]{7}$/);
    expect(branchName("factory/", 7, "!!!")).toBe(branchName("factory/", 7, "!!!"));
    expect(branchName("factory/", 7, "???")).not.toBe(branchName("factory/", 7, "!!!"));
  });
});
