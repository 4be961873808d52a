import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, fixture } from "./support.js";

// eslint prints absolute paths; the run was in /tmp/sf-verify-output/eslint.
const dir = "/tmp/sf-verify-output/eslint";

describe("eslint (stylish)", () => {
  it("one error, with its rule", () => {
    const s = summarizeFailures(fixture("eslint/single.txt"));
    expect(s.tool).toBe("eslint");
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "Expected '===' and instead saw '==' (eqeqeq)", file: `${dir}/lib/single.js`, line: 2 }]);
    expect(s.failures[0]).toMatchObject({ column: 12, lines: [`${dir}/lib/single.js:2:12  error  Expected '===' and instead saw '=='  eqeqeq`] });
  });

  it("several files: errors in the order printed, warnings left out", () => {
    const expected = [
      { test: undefined, message: "Expected '===' and instead saw '==' (eqeqeq)", file: `${dir}/lib/other.js`, line: 5 },
      { test: undefined, message: "'unused' is assigned a value but never used (no-unused-vars)", file: `${dir}/lib/util.js`, line: 1 },
      { test: undefined, message: "Expected '===' and instead saw '==' (eqeqeq)", file: `${dir}/lib/util.js`, line: 4 },
      { test: undefined, message: "'missing' is not defined (no-undef)", file: `${dir}/lib/util.js`, line: 4 },
    ];
    expect(brief(summarizeFailures(fixture("eslint/several.txt")).failures)).toEqual(expected);
    // `--color` underlines the paths and dims the positions; the result is the same.
    expect(fixture("eslint/several-color.txt")).toContain("\u001b[");
    expect(brief(summarizeFailures(fixture("eslint/several-color.txt")).failures)).toEqual(expected);
  });

  it("paths relative to a given root", () => {
    const s = summarizeFailures(fixture("eslint/several.txt"), { root: dir });
    expect(s.failures.map((f) => f.file)).toEqual(["lib/other.js", "lib/util.js", "lib/util.js", "lib/util.js"]);
  });

  it("problems whose file line was cut off (the start of a long log) still count", () => {
    const cut = fixture("eslint/single.txt").replace(`${dir}/lib/single.js\n`, "");
    expect(brief(summarizeFailures(cut).failures)).toEqual([{ test: undefined, message: "Expected '===' and instead saw '==' (eqeqeq)", file: undefined, line: 2 }]);
  });

  it("a parsing error has no rule", () => {
    const s = summarizeFailures(fixture("eslint/parse-error.txt"));
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "Parsing error: Unexpected keyword 'return'", file: `${dir}/lib/broken.js`, line: 2 }]);
  });

  it("warnings are failures when --max-warnings was exceeded", () => {
    const s = summarizeFailures(fixture("eslint/warnings.txt"));
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "Unexpected console statement (no-console)", file: `${dir}/lib/noisy.js`, line: 2 }]);
  });

  it("a passing run prints nothing", () => {
    expect(fixture("eslint/pass.txt")).toBe("");
    expect(summarizeFailures(fixture("eslint/pass.txt"), { tool: "eslint" })).toMatchObject({ tool: "eslint", failures: [] });
  });
});
