import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

// TAP has only absolute paths (the run was in /tmp/sf-verify-output/js); spec names the
// test's file relatively, which gives the project's root.
const root = "/tmp/sf-verify-output/js";

describe("node --test", () => {
  it("a failing assertion, TAP: suite > test, the error with its kind, the project frame", () => {
    const s = summarizeFailures(fixture("node-test/assertion-tap.txt"));
    expect(s.tool).toBe("node-test");
    expect(brief(s.failures)).toEqual([
      { test: "theme > is light at noon", message: "AssertionError: Expected values to be strictly equal:", file: `${root}/test/assertion.node.js`, line: 7 },
    ]);
    expect(s.failures[0]?.lines).toEqual([
      "AssertionError: Expected values to be strictly equal:",
      "+ actual - expected",
      "",
      "+ 'dark'",
      "- 'light'",
      `at TestContext.<anonymous> (${root}/test/assertion.node.js:7:12)`,
    ]);
  });

  it("a failing assertion, spec: paths made relative to the project", () => {
    const s = summarizeFailures(fixture("node-test/assertion-spec.txt"));
    expect(s.tool).toBe("node-test");
    expect(brief(s.failures)).toEqual([
      { test: "theme > is light at noon", message: "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:", file: "test/assertion.node.js", line: 7 },
    ]);
    // The error's properties printed after the stack are left out.
    expect(s.failures[0]?.lines.join("\n")).not.toContain("generatedMessage");
    expectShort(s.failures);
  });

  it("a thrown error, in both reporters: the library's line that threw", () => {
    const tap = summarizeFailures(fixture("node-test/thrown-tap.txt"));
    const spec = summarizeFailures(fixture("node-test/thrown-spec.txt"));
    const name = "parseTheme > with bad input > returns undefined";
    expect(brief(tap.failures)).toEqual([{ test: name, message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: `${root}/lib/theme.js`, line: 8 }]);
    expect(brief(spec.failures)).toEqual([{ test: name, message: "SyntaxError [Error]: Expected property name or '}' in JSON at position 1", file: "lib/theme.js", line: 8 }]);
  });

  it("several failures in nested suites, once each although spec prints them twice", () => {
    const expected = [
      ["theme > is light in the morning", "test/several.node.js", 10],
      ["theme > contrast > is 4.5 for light", "test/several.node.js", 14],
      ["calls a missing helper", "test/several.node.js", 21],
    ];
    const spec = summarizeFailures(fixture("node-test/several-spec.txt"));
    expect(spec.failures.map((f) => [f.test, f.file, f.line])).toEqual(expected);
    expect(spec.failures[2]?.message).toBe("TypeError [Error]: helpers.format is not a function");
    expectShort(spec.failures);
    const tap = summarizeFailures(fixture("node-test/several-tap.txt"));
    expect(tap.failures.map((f) => [f.test, f.file, f.line])).toEqual(expected.map(([test, file, line]) => [test, `${root}/${file as string}`, line]));
    expect(tap.failures.map((f) => f.message)).toEqual([
      "AssertionError: Expected values to be strictly equal:",
      "AssertionError: Expected values to be strictly deep-equal:",
      "TypeError: helpers.format is not a function",
    ]);
    expectShort(tap.failures);
  });

  it("the root can be given, for TAP's absolute paths", () => {
    const s = summarizeFailures(fixture("node-test/several-tap.txt"), { root });
    expect(s.failures.map((f) => f.file)).toEqual(["test/several.node.js", "test/several.node.js", "test/several.node.js"]);
  });

  it("passing runs, in both reporters", () => {
    expect(summarizeFailures(fixture("node-test/pass-tap.txt"))).toMatchObject({ tool: "node-test", failures: [] });
    expect(summarizeFailures(fixture("node-test/pass-spec.txt"))).toMatchObject({ tool: "node-test", failures: [] });
  });
});
