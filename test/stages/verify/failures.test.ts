import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeFailures, type Failure } from "../../../src/stages/verify/failures/index.js";
import { cleanLines } from "../../../src/stages/verify/failures/clean.js";

/** Output captured by really running each tool on a small failing project (see test/fixtures/verify-output/capture.sh). */
const fixture = (path: string) => readFileSync(new URL(`../../fixtures/verify-output/${path}`, import.meta.url), "utf8");

const brief = (failures: Failure[]) => failures.map((f) => ({ test: f.test, message: f.message, file: f.file, line: f.line }));

function expectShort(failures: Failure[]) {
  for (const f of failures) expect(f.lines.length).toBeLessThanOrEqual(15);
}

describe("the shortest failure summary, per tool, on real output", () => {
  it("vitest: each failing test with its assertion and the line in the test file", () => {
    const s = summarizeFailures(fixture("vitest/fail.txt"));
    expect(s.tool).toBe("vitest");
    expect(brief(s.failures)).toEqual([
      { test: "math > adds two numbers", message: "AssertionError: expected -1 to be 5 // Object.is equality", file: "src/math.test.ts", line: 6 },
      { test: "math > parses bad input", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "src/math.test.ts", line: 12 },
      { test: "strings > joins", message: "AssertionError: expected 'a-b' to deeply equal 'a+b'", file: "src/math.test.ts", line: 18 },
    ]);
    expect(s.failures[0]?.lines).toContain("- 5");
    expect(s.failures[0]?.lines).toContain("+ -1");
    expectShort(s.failures);
    expect(summarizeFailures(fixture("vitest/pass.txt")).failures).toEqual([]);
  });

  it("jest", () => {
    const s = summarizeFailures(fixture("jest/fail.txt"));
    expect(s.tool).toBe("jest");
    expect(brief(s.failures)).toEqual([
      { test: "theme > default is the light theme", message: "expect(received).toBe(expected) // Object.is equality", file: "test/theme.test.cjs", line: 4 },
      { test: "throws on bad input", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "test/theme.test.cjs", line: 6 },
    ]);
    expect(s.failures[0]?.lines).toContain('    Expected: "light"');
    expectShort(s.failures);
    expect(summarizeFailures(fixture("jest/pass.txt")).failures).toEqual([]);
  });

  it("mocha", () => {
    const s = summarizeFailures(fixture("mocha/fail.txt"));
    expect(s.tool).toBe("mocha");
    expect(brief(s.failures)).toEqual([
      { test: "throws on bad input", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "test/theme.spec.cjs", line: 7 },
      { test: "theme > default is the light theme", message: "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:", file: "test/theme.spec.cjs", line: 5 },
    ]);
    expectShort(s.failures);
    expect(summarizeFailures(fixture("mocha/pass.txt")).failures).toEqual([]);
  });

  it("node --test, TAP (its reporter off a TTY) and spec", () => {
    const tap = summarizeFailures(fixture("node-test/fail-tap.txt"));
    expect(tap.tool).toBe("node-test");
    expect(brief(tap.failures)).toEqual([
      { test: "theme > default is the light theme", message: "AssertionError: Expected values to be strictly equal:", file: "/tmp/fx/nt/test/theme.test.js", line: 9 },
      { test: "throws on bad input", message: "SyntaxError: Expected property name or '}' in JSON at position 1", file: "/tmp/fx/nt/test/theme.test.js", line: 13 },
    ]);
    expect(tap.failures[0]?.lines).toEqual(["Expected values to be strictly equal:", "+ actual - expected", "", "+ 'dark'", "- 'light'"]);
    const spec = summarizeFailures(fixture("node-test/fail-spec.txt"));
    expect(brief(spec.failures).map((f) => [f.test, f.line])).toEqual([
      ["default is the light theme", 9],
      ["throws on bad input", 13],
    ]);
    expectShort(spec.failures);
    expect(summarizeFailures(fixture("node-test/pass-tap.txt")).failures).toEqual([]);
  });

  it("tsc, plain and pretty", () => {
    for (const file of ["tsc/fail.txt", "tsc/fail-pretty.txt"]) {
      const s = summarizeFailures(fixture(file));
      expect(s.tool).toBe("tsc");
      expect(brief(s.failures)).toEqual([
        { test: undefined, message: "TS2322: Type 'number' is not assignable to type 'string'.", file: "src/bad.ts", line: 2 },
        { test: undefined, message: "TS2551: Property 'toUppercase' does not exist on type 'string'. Did you mean 'toUpperCase'?", file: "src/bad.ts", line: 4 },
      ]);
      expectShort(s.failures);
    }
  });

  it("eslint (stylish): errors with their rule", () => {
    const s = summarizeFailures(fixture("eslint/fail.txt"));
    expect(s.tool).toBe("eslint");
    expect(brief(s.failures)).toEqual([
      { test: undefined, message: "'unused' is assigned a value but never used (no-unused-vars)", file: "/tmp/fx/vt/lib/util.js", line: 1 },
      { test: undefined, message: "Expected '===' and instead saw '==' (eqeqeq)", file: "/tmp/fx/vt/lib/util.js", line: 3 },
      { test: undefined, message: "'missing' is not defined (no-undef)", file: "/tmp/fx/vt/lib/util.js", line: 5 },
    ]);
  });

  it("pytest: the test id, the E line, and the line in the test file (not the library's)", () => {
    const s = summarizeFailures(fixture("pytest/fail.txt"));
    expect(s.tool).toBe("pytest");
    expect(brief(s.failures)).toEqual([
      { test: "test_theme.py::test_default_is_light", message: "AssertionError: assert 'dark' == 'light'", file: "test_theme.py", line: 10 },
      {
        test: "test_theme.py::test_bad_input",
        message: "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        file: "test_theme.py",
        line: 13,
      },
    ]);
    expectShort(s.failures);
    expect(summarizeFailures(fixture("pytest/pass.txt"))).toMatchObject({ tool: "pytest", failures: [] });
  });

  it("go test", () => {
    const s = summarizeFailures(fixture("go/fail.txt"));
    expect(s.tool).toBe("go");
    expect(brief(s.failures)).toEqual([
      { test: "TestDefaultIsLight", message: 'Theme(false) = "dark", want "light"', file: "theme_test.go", line: 16 },
      { test: "TestParse", message: 'parse: strconv.Atoi: parsing "x1": invalid syntax', file: "theme_test.go", line: 23 },
    ]);
    expect(summarizeFailures(fixture("go/pass.txt")).failures).toEqual([]);
  });

  it("cargo test: the panic's message and place", () => {
    const s = summarizeFailures(fixture("cargo/fail.txt"));
    expect(s.tool).toBe("cargo");
    expect(brief(s.failures)).toEqual([
      { test: "tests::default_is_light", message: "assertion `left == right` failed", file: "src/lib.rs", line: 17 },
      { test: "tests::parses_number", message: "called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }", file: "src/lib.rs", line: 22 },
    ]);
    expect(s.failures[0]?.lines).toContain('  left: "dark"');
    expect(summarizeFailures(fixture("cargo/pass.txt")).failures).toEqual([]);
  });
});

describe("summarizeFailures around the parsers", () => {
  it("reads a GitHub Actions job log: timestamps, ##[group] markers and ANSI codes removed", () => {
    const s = summarizeFailures(fixture("actions/vitest-job.log"));
    expect(s.tool).toBe("vitest");
    expect(s.failures.map((f) => f.test)).toEqual(["math > adds two numbers", "math > parses bad input", "strings > joins"]);
    const text = s.failures.flatMap((f) => f.lines).join("\n");
    expect(text.includes("\u001b")).toBe(false);
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it("finds several tools in one log", () => {
    const s = summarizeFailures(`${fixture("tsc/fail.txt")}\n${fixture("vitest/fail.txt")}`);
    expect(s.failures.map((f) => f.tool)).toEqual(["vitest", "vitest", "vitest", "tsc", "tsc"]);
  });

  it("returns the raw tail when no parser recognises the output", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `step ${i}`);
    const s = summarizeFailures(`${lines.join("\n")}\nsomething went wrong\n`);
    expect(s).toMatchObject({ tool: "unknown", failures: [] });
    expect(s.rawTail).toHaveLength(20);
    expect(s.rawTail?.at(-1)).toBe("something went wrong");
  });

  it("caps failures and lines, and says how many it left out", () => {
    const s = summarizeFailures(fixture("vitest/fail.txt"), { maxFailures: 1, maxLinesPerFailure: 3 });
    expect(s.failures).toHaveLength(1);
    expect(s.failures[0]?.lines).toHaveLength(3);
    expect(s.truncated).toBe(2);
  });

  it("reads only the end of a huge log, and still finds the failures there", () => {
    const noise = "x".repeat(99) + "\n";
    const s = summarizeFailures(noise.repeat(50_000) + fixture("go/fail.txt"));
    expect(s.failures.map((f) => f.test)).toEqual(["TestDefaultIsLight", "TestParse"]);
  });

  it("cleanLines strips colours, Actions stamps and carriage-return redraws", () => {
    expect(cleanLines("2026-11-25T10:00:00.1234567Z \u001b[31mred\u001b[39m\nprogress 10%\rprogress 100%\n##[group]Run x\n")).toEqual(["red", "progress 100%", ""]);
  });
});
