import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cleanLines, MAX_INPUT } from "../../../../src/stages/verify/failures/clean.js";
import { detect, summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { fixture } from "./support.js";

const TOOL_OF_DIR: Record<string, string> = { vitest: "vitest", jest: "jest", mocha: "mocha", "node-test": "node-test", tsc: "tsc", eslint: "eslint", pytest: "pytest", go: "go", cargo: "cargo" };
const fixtures = Object.keys(TOOL_OF_DIR).flatMap((dir) =>
  readdirSync(new URL(`../../../fixtures/verify-output/${dir}`, import.meta.url)).map((name) => ({ dir, path: `${dir}/${name}`, tool: TOOL_OF_DIR[dir] as string })),
);

describe("detection, on every fixture", () => {
  it("has a fixture for each tool's failing assertion, error and several failures, and its passing run", () => {
    for (const dir of Object.keys(TOOL_OF_DIR)) {
      const names = fixtures.filter((f) => f.dir === dir).map((f) => f.path);
      expect(names.some((n) => /pass/.test(n)), dir).toBe(true);
      expect(names.some((n) => /several/.test(n)), dir).toBe(true);
      expect(names.length, dir).toBeGreaterThanOrEqual(4);
    }
  });

  it.each(fixtures.filter((f) => fixture(f.path) !== ""))("$path is $tool's, and only $tool's failures are read from it", ({ path, tool }) => {
    const output = fixture(path);
    expect(detect(cleanLines(output)).map((p) => p.tool)).toEqual([tool]);
    const s = summarizeFailures(output);
    expect(s.tool).toBe(tool);
    for (const f of s.failures) {
      expect(f.tool).toBe(tool);
      expect(f.message).not.toContain("\n");
      expect(f.message.length).toBeGreaterThan(0);
      expect(f.lines.length).toBeLessThanOrEqual(15);
    }
    expect(s.failures.length === 0).toBe(/pass/.test(path));
  });
});

describe("GitHub Actions job logs", () => {
  it("reads a vitest run through timestamps, ##[group] markers, a byte-order mark and colours", () => {
    const log = fixture("actions/vitest-job.log");
    expect(log.startsWith("\ufeff2026-11-25T10:00:00.")).toBe(true);
    expect(log).toContain("##[group]Run npm test");
    expect(log).toContain("\u001b[31m");
    const s = summarizeFailures(log);
    expect(s.tool).toBe("vitest");
    expect(s.failures.map((f) => [f.test, f.file, f.line])).toEqual([
      ["math > adds two numbers", "test/assertion.test.ts", 6],
      ["math > adds negatives", "test/several.test.ts", 6],
      ["slugify > joins words with dashes", "test/several.test.ts", 15],
      ["slugify > builds a record", "test/several.test.ts", 18],
      ["rejects", "test/several.test.ts", 23],
      ["finishes in time", "test/several.test.ts", 26],
    ]);
    const text = s.failures.flatMap((f) => [f.message, ...f.lines]).join("\n");
    expect(text).not.toContain("\u001b");
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(text).not.toContain("##[");
  });

  it("finds every tool in a job that ran tsc then vitest, in the log's order", () => {
    const s = summarizeFailures(fixture("actions/tsc-then-vitest-job.log"));
    expect(s.tool).toBe("tsc");
    expect(s.failures.map((f) => f.tool)).toEqual(["tsc", "tsc", "tsc", "tsc", "vitest", "vitest", "vitest", "vitest", "vitest", "vitest"]);
    expect(s.failures[0]).toMatchObject({ file: "src/names.ts", line: 4 });
    expect(s.failures[4]).toMatchObject({ test: "math > adds two numbers", file: "test/assertion.test.ts", line: 6 });
    expect(s.truncated).toBe(0);
  });
});

describe("summarizeFailures", () => {
  it("caps failures and excerpt lines, and counts what it left out", () => {
    const s = summarizeFailures(fixture("actions/tsc-then-vitest-job.log"), { maxFailures: 3, maxLinesPerFailure: 2 });
    expect(s.failures.map((f) => f.message)).toEqual([
      "TS2551: Property 'toUppercase' does not exist on type 'string'. Did you mean 'toUpperCase'?",
      "TS2345: Argument of type '{ size: number; }' is not assignable to parameter of type 'Shape'.",
      "TS2304: Cannot find name 'undefinedThing'.",
    ]);
    expect(s.truncated).toBe(7);
    for (const f of s.failures) expect(f.lines.length).toBeLessThanOrEqual(2);
    expect(s.failures[1]?.lines).toHaveLength(2);
  });

  it("returns the last 20 lines when no parser recognises the output", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `step ${i}`);
    const s = summarizeFailures(`${lines.join("\n")}\n\nSegmentation fault (core dumped)\n`);
    expect(s).toEqual({ tool: "unknown", failures: [], truncated: 0, rawTail: [...lines.slice(21), "Segmentation fault (core dumped)"] });
  });

  it("the raw tail is clean too", () => {
    const s = summarizeFailures("2026-11-25T10:00:00.1234567Z \u001b[31mboom\u001b[39m\n2026-11-25T10:00:01.1234567Z ##[error]Process completed with exit code 1.\n");
    expect(s.rawTail).toEqual(["boom", "Process completed with exit code 1."]);
  });

  it("reads output as the tool it is told", () => {
    const jestOutput = fixture("jest/assertion.txt");
    expect(summarizeFailures(jestOutput, { tool: "jest" }).failures).toHaveLength(1);
    const asMocha = summarizeFailures(jestOutput, { tool: "mocha" });
    expect(asMocha).toMatchObject({ tool: "mocha", failures: [] });
    expect(asMocha.rawTail?.at(-1)).toBe("Ran all test suites matching test/assertion.test.js.");
  });

  it("reads a 5 MB log: the failures at its end are found", () => {
    const noise = Array.from({ length: 200 }, (_, i) => `2026-11-25T09:59:00.0000000Z npm http fetch GET 200 https://registry.example/pkg-${i} 12ms (cache hit)`).join("\n");
    let log = "";
    while (log.length < 5_000_000) log += `${noise}\n`;
    log += fixture("actions/vitest-job.log");
    expect(log.length).toBeGreaterThan(5_000_000);
    const s = summarizeFailures(log);
    expect(s.tool).toBe("vitest");
    expect(s.failures.map((f) => f.test)).toEqual(["math > adds two numbers", "math > adds negatives", "slugify > joins words with dashes", "slugify > builds a record", "rejects", "finishes in time"]);
  });

  it("reads only the last 2 MB: failures before them are not seen", () => {
    const filler = `${"x".repeat(99)}\n`.repeat(Math.ceil(MAX_INPUT / 100) + 10);
    const s = summarizeFailures(fixture("go/assertion.txt") + filler + fixture("cargo/thrown.txt"));
    expect(s.failures.map((f) => f.tool)).toEqual(["cargo"]);
  });

  it("handles degenerate megabytes: blank lines, one huge line, deep indentation", () => {
    expect(summarizeFailures("\n".repeat(3_000_000))).toEqual({ tool: "unknown", failures: [], truncated: 0, rawTail: [] });
    const long = summarizeFailures(`${"a".repeat(3_000_000)}\n${fixture("tsc/single.txt")}`);
    expect(long.failures.map((f) => f.message)).toEqual(["TS2322: Type 'number' is not assignable to type 'string'."]);
    const spaces = summarizeFailures(`${" ".repeat(1_000_000)}x\n`.repeat(2));
    expect(spaces.tool).toBe("unknown");
    expect(spaces.rawTail?.[0]?.length).toBeLessThanOrEqual(4_001);
  });
});

describe("cleanLines", () => {
  it("strips colours, Actions stamps and markers, a byte-order mark and carriage-return redraws", () => {
    const raw = [
      "\ufeff2026-11-25T10:00:00.1234567Z ##[group]Run npm test",
      "2026-11-25T10:00:00.2234567Z npm test",
      "2026-11-25T10:00:00.3234567Z ##[endgroup]",
      "2026-11-25T10:00:01.0000000Z \u001b[1m\u001b[31mFAIL\u001b[39m\u001b[22m  \u001b]8;;file:///a\u0007link\u001b]8;;\u0007",
      "progress 10%\rprogress 100%",
      "windows line\r",
      "2026-11-25T10:00:02.0000000Z ##[error]Process completed with exit code 1.",
      "",
    ].join("\n");
    expect(cleanLines(raw)).toEqual(["Run npm test", "npm test", "FAIL  link", "progress 100%", "windows line", "Process completed with exit code 1.", ""]);
  });

  it("keeps leading tabs and spaces, which some tools' formats depend on", () => {
    expect(cleanLines("\t/tmp/x.go:15 +0x1b\n    theme_test.go:7: bad  \n")).toEqual(["\t/tmp/x.go:15 +0x1b", "    theme_test.go:7: bad", ""]);
  });
});
