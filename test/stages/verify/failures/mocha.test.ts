import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

describe("mocha", () => {
  it("a failing assertion: the title over several lines becomes one name", () => {
    const s = summarizeFailures(fixture("mocha/assertion.txt"));
    expect(s.tool).toBe("mocha");
    expect(brief(s.failures)).toEqual([
      { test: "theme > is light at noon", message: "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:", file: "test/assertion.spec.js", line: 6 },
    ]);
    expect(s.failures[0]?.lines).toEqual([
      "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
      "+ actual - expected",
      "",
      "+ 'dark'",
      "- 'light'",
      "+ expected - actual",
      "",
      "-dark",
      "+light",
      "",
      "at Context.<anonymous> (test/assertion.spec.js:6:12)",
    ]);
  });

  it("a thrown error: the project frame that threw", () => {
    const s = summarizeFailures(fixture("mocha/thrown.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "parseTheme > with bad input > returns undefined", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "lib/theme.js", line: 8 },
    ]);
    expectShort(s.failures);
  });

  it("several failures, numbered as mocha numbers them", () => {
    const s = summarizeFailures(fixture("mocha/several.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "calls a missing helper", message: "TypeError: helpers.format is not a function", file: "test/several.spec.js", line: 20 },
      { test: "theme > is light in the morning", message: "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:", file: "test/several.spec.js", line: 9 },
      { test: "theme > contrast > is 4.5 for light", message: "AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:", file: "test/several.spec.js", line: 13 },
    ]);
    // node's diff keeps its own indentation once mocha's is removed.
    expect(s.failures[2]?.lines.slice(3, 8)).toEqual(["  {", "+   ratio: 4.5,", "-   ratio: 4.6,", "    theme: 'light'", "  }"]);
    expectShort(s.failures);
  });

  it("a passing run", () => {
    expect(summarizeFailures(fixture("mocha/pass.txt"))).toMatchObject({ tool: "mocha", failures: [], truncated: 0 });
  });
});
