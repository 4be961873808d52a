import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

describe("jest", () => {
  it("a failing assertion: the matcher with its expected and received values", () => {
    const s = summarizeFailures(fixture("jest/assertion.txt"));
    expect(s.tool).toBe("jest");
    expect(brief(s.failures)).toEqual([
      {
        test: "theme > is light at noon",
        message: 'expect(received).toBe(expected) // Object.is equality (expected "light", received "dark")',
        file: "test/assertion.test.js",
        line: 5,
      },
    ]);
    expect(s.failures[0]?.lines).toEqual([
      "expect(received).toBe(expected) // Object.is equality",
      "",
      'Expected: "light"',
      'Received: "dark"',
      "",
      '  3 | describe("theme", () => {',
      '  4 |   test("is light at noon", () => {',
      '> 5 |     expect(themeFor(12)).toBe("light");',
      "    |                          ^",
      "  6 |   });",
      "  7 | });",
      "  8 |",
      "",
      "  at Object.toBe (test/assertion.test.js:5:26)",
    ]);
  });

  it("a thrown error points at the project's line that threw, past JSON.parse", () => {
    const s = summarizeFailures(fixture("jest/thrown.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "parseTheme > with bad input > returns undefined", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "lib/theme.js", line: 8 },
    ]);
    expect(s.failures[0]?.lines.join("\n")).not.toContain("<anonymous>");
    expectShort(s.failures);
  });

  it("several failures across two files, one of which does not load", () => {
    const s = summarizeFailures(fixture("jest/several.txt"));
    expect(brief(s.failures)).toEqual([
      {
        test: "theme > is light in the morning",
        message: 'expect(received).toBe(expected) // Object.is equality (expected "light", received "dark")',
        file: "test/several.test.js",
        line: 8,
      },
      { test: "theme > contrast > is 4.5 for light", message: "expect(received).toEqual(expected) // deep equality", file: "test/several.test.js", line: 12 },
      { test: "calls a missing helper", message: "TypeError: helpers.format is not a function", file: "test/several.test.js", line: 19 },
      { test: undefined, message: "Cannot find module '../lib/nothing' from 'test/broken.test.js'", file: "test/broken.test.js", line: 1 },
    ]);
    expect(s.failures[1]?.lines).toContain('+   "ratio": 4.5,');
    // jest's own resolver frame is not the place.
    expect(s.failures[3]?.lines.join("\n")).not.toContain("node_modules");
    expectShort(s.failures);
  });

  it("a passing run", () => {
    expect(summarizeFailures(fixture("jest/pass.txt"))).toMatchObject({ tool: "jest", failures: [], truncated: 0 });
  });
});
