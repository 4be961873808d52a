import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

describe("vitest", () => {
  it("a failing assertion: the test's full name, the assertion, the line in the test file and the diff", () => {
    const s = summarizeFailures(fixture("vitest/assertion.txt"));
    expect(s.tool).toBe("vitest");
    expect(brief(s.failures)).toEqual([
      { test: "math > adds two numbers", message: "AssertionError: expected -1 to be 5 // Object.is equality", file: "test/assertion.test.ts", line: 6 },
    ]);
    expect(s.failures[0]?.column).toBe(23);
    expect(s.failures[0]?.lines.slice(0, 7)).toEqual(["AssertionError: expected -1 to be 5 // Object.is equality", "", "- Expected", "+ Received", "", "- 5", "+ -1"]);
    expect(s.failures[0]?.lines).toContain("      6|     expect(add(2, 3)).toBe(5);");
    expectShort(s.failures);
  });

  it("a thrown error inside nested suites", () => {
    const s = summarizeFailures(fixture("vitest/thrown.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "config > parseConfig > reads the name", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "test/thrown.test.ts", line: 7 },
    ]);
    expectShort(s.failures);
  });

  it("several failures, with colours, and a file that fails to import, in the order printed", () => {
    const s = summarizeFailures(fixture("vitest/several.txt"));
    expect(s.tool).toBe("vitest");
    expect(brief(s.failures)).toEqual([
      {
        test: undefined,
        message: "Error: Cannot find module '../src/missing.js' imported from /tmp/sf-verify-output/vitest/test/broken.test.ts",
        file: "test/broken.test.ts",
        line: 2,
      },
      { test: "math > adds negatives", message: "AssertionError: expected +0 to be -2 // Object.is equality", file: "test/several.test.ts", line: 6 },
      { test: "slugify > joins words with dashes", message: "AssertionError: expected 'hello_big_world' to deeply equal 'hello-big-world'", file: "test/several.test.ts", line: 15 },
      { test: "slugify > builds a record", message: "AssertionError: expected { slug: 'a_b', words: 2 } to deeply equal { slug: 'a-b', words: 2 }", file: "test/several.test.ts", line: 18 },
      { test: "rejects", message: 'AssertionError: promise resolved "1" instead of rejecting', file: "test/several.test.ts", line: 23 },
      { test: "finishes in time", message: "Error: Test timed out in 50ms.", file: "test/several.test.ts", line: 26 },
    ]);
    expect(s.failures[2]?.lines).toContain('Expected: "hello-big-world"');
    expect(s.failures.flatMap((f) => f.lines).join("\n")).not.toContain("\u001b");
    expect(s.truncated).toBe(0);
    expectShort(s.failures);
  });

  it("one error shared by two tests (a failing beforeEach) is reported for each", () => {
    const s = summarizeFailures(fixture("vitest/hook.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "with a config > has a name", message: "SyntaxError: Unexpected end of JSON input", file: "test/hook.test.ts", line: 7 },
      { test: "with a config > has a short name", message: "SyntaxError: Unexpected end of JSON input", file: "test/hook.test.ts", line: 7 },
    ]);
    expect(s.failures[1]?.lines).toEqual(s.failures[0]?.lines);
  });

  it("an unhandled error after the tests passed", () => {
    const s = summarizeFailures(fixture("vitest/unhandled.txt"));
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "Uncaught Exception: Error: late failure", file: "test/unhandled.test.ts", line: 5 }]);
    // node's own frames (timers) are left out of the excerpt.
    expect(s.failures[0]?.lines.join("\n")).not.toContain("node:internal");
    expectShort(s.failures);
  });

  it("a passing run: recognised, no failure", () => {
    const s = summarizeFailures(fixture("vitest/pass.txt"));
    expect(s.tool).toBe("vitest");
    expect(s.failures).toEqual([]);
    expect(s.truncated).toBe(0);
  });
});
