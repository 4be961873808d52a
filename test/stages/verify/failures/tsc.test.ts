import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

const SEVERAL = [
  { test: undefined, message: "TS2551: Property 'toUppercase' does not exist on type 'string'. Did you mean 'toUpperCase'?", file: "src/names.ts", line: 4 },
  { test: undefined, message: "TS2345: Argument of type '{ size: number; }' is not assignable to parameter of type 'Shape'.", file: "src/names.ts", line: 7 },
  { test: undefined, message: "TS2304: Cannot find name 'undefinedThing'.", file: "src/names.ts", line: 8 },
  { test: undefined, message: `TS2322: Type '"triangle"' is not assignable to type '"square" | "circle"'.`, file: "src/shapes.ts", line: 10 },
];

describe("tsc", () => {
  it("one type error", () => {
    const s = summarizeFailures(fixture("tsc/single.txt"));
    expect(s.tool).toBe("tsc");
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "TS2322: Type 'number' is not assignable to type 'string'.", file: "src/single.ts", line: 2 }]);
    expect(s.failures[0]?.column).toBe(9);
  });

  it("several errors, plain: each with its elaboration lines", () => {
    const s = summarizeFailures(fixture("tsc/several.txt"));
    expect(brief(s.failures)).toEqual(SEVERAL);
    expect(s.failures[1]?.lines).toEqual([
      "src/names.ts(7,27): error TS2345: Argument of type '{ size: number; }' is not assignable to parameter of type 'Shape'.",
      "  Property 'kind' is missing in type '{ size: number; }' but required in type 'Shape'.",
    ]);
    expectShort(s.failures);
  });

  it("several errors, pretty and coloured: the same failures, with code frames", () => {
    const s = summarizeFailures(fixture("tsc/several-pretty.txt"));
    expect(s.tool).toBe("tsc");
    expect(brief(s.failures)).toEqual(SEVERAL);
    expect(s.failures[2]?.lines).toEqual([
      "src/names.ts:8:24 - error TS2304: Cannot find name 'undefinedThing'.",
      "",
      "8 export const missing = undefinedThing + 1;",
      "                         ~~~~~~~~~~~~~~",
    ]);
    // The summary table after the last error is not part of it.
    expect(s.failures[3]?.lines.join("\n")).not.toContain("Found 4 errors");
    expectShort(s.failures);
  });

  it("a passing run prints nothing: no failure, and nothing to show", () => {
    expect(fixture("tsc/pass.txt")).toBe("");
    expect(summarizeFailures(fixture("tsc/pass.txt"), { tool: "tsc" })).toEqual({ tool: "tsc", failures: [], truncated: 0, rawTail: [] });
  });
});
