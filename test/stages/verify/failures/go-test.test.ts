import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

describe("go test", () => {
  it("a failing check: t.Errorf's message and place", () => {
    const s = summarizeFailures(fixture("go/assertion.txt"));
    expect(s.tool).toBe("go");
    expect(brief(s.failures)).toEqual([{ test: "TestLightAtNoon", message: 'For(12) = "dark", want "light"', file: "theme_test.go", line: 7 }]);
  });

  it("a panic: its message and the first frame outside Go's own sources", () => {
    const s = summarizeFailures(fixture("go/thrown.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "TestPaletteHasThree", message: "panic: runtime error: index out of range [2] with length 2", file: "/tmp/sf-verify-output/go/theme/theme_test.go", line: 18 },
    ]);
    expect(s.failures[0]?.lines.join("\n")).not.toContain("/usr/lib/go");
  });

  it("several failures in two packages, a panic in the code under test among them", () => {
    const s = summarizeFailures(fixture("go/several.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "TestMake", message: 'Make() = "hello_world", want "hello-world"', file: "slug_test.go", line: 7 },
      { test: "TestLightAtNoon", message: 'For(12) = "dark", want "light"', file: "theme_test.go", line: 7 },
      { test: "TestParseHour", message: 'panic: strconv.Atoi: parsing "x7": invalid syntax', file: "/tmp/sf-verify-output/go/theme/theme.go", line: 15 },
    ]);
    expectShort(s.failures);
  });

  it("-v: subtests by their full name, multi-line messages kept, the parent left out", () => {
    const s = summarizeFailures(fixture("go/several-verbose.txt"));
    expect(brief(s.failures)).toEqual([
      { test: "TestLightAtNoon", message: 'For(12) = "dark", want "light"', file: "theme_test.go", line: 7 },
      { test: "TestByHour/hour_09", message: 'For(9) = "dark", want "light"', file: "theme_test.go", line: 32 },
      { test: "TestByHour/hour_08", message: 'For(8) = "dark", want "light"', file: "theme_test.go", line: 32 },
    ]);
    expect(s.failures[1]?.lines).toEqual(['theme_test.go:32: For(9) = "dark", want "light"', "    hour 9 is in the morning"]);
  });

  it("a package that does not compile", () => {
    const s = summarizeFailures(fixture("go/build-error.txt"));
    expect(s.tool).toBe("go");
    expect(brief(s.failures)).toEqual([
      { test: undefined, message: "cannot use len(items) (value of type int) as type string in variable declaration", file: "build.go", line: 4 },
      { test: undefined, message: "cannot use total (variable of type string) as type int in return statement", file: "build.go", line: 5 },
    ]);
  });

  it("a passing run", () => {
    expect(summarizeFailures(fixture("go/pass.txt"))).toMatchObject({ tool: "go", failures: [] });
  });
});
