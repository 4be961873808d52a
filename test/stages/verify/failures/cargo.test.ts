import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

const LIB = [
  { test: "tests::light_at_noon", message: 'assertion `left == right` failed (left: "dark", right: "light")', file: "src/lib.rs", line: 15 },
  { test: "tests::light_in_the_morning", message: "hour 8 should be light, got dark", file: "src/lib.rs", line: 25 },
  { test: "tests::parses_hour", message: "called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }", file: "src/lib.rs", line: 6 },
  { test: "dark_at_night_from_outside", message: 'assertion `left != right` failed (left: "dark", right: "dark")', file: "tests/api.rs", line: 3 },
];

describe("cargo test", () => {
  it("a failing assert_eq!: left and right in the message", () => {
    const s = summarizeFailures(fixture("cargo/assertion.txt"));
    expect(s.tool).toBe("cargo");
    expect(brief(s.failures)).toEqual([LIB[0]]);
    expect(s.failures[0]?.column).toBe(9);
    expect(s.failures[0]?.lines.slice(1)).toEqual(["assertion `left == right` failed", '  left: "dark"', ' right: "light"']);
  });

  it("a panic from unwrap: the caller's place", () => {
    expect(brief(summarizeFailures(fixture("cargo/thrown.txt")).failures)).toEqual([LIB[2]]);
  });

  it("several failures in the library and an integration test (--no-fail-fast), plain and --quiet", () => {
    const s = summarizeFailures(fixture("cargo/several.txt"));
    expect(brief(s.failures)).toEqual(LIB);
    expectShort(s.failures);
    // Tests run in parallel: this run finished them in another order, and says so.
    expect(brief(summarizeFailures(fixture("cargo/several-quiet.txt")).failures)).toEqual([LIB[0], LIB[2], LIB[1], LIB[3]]);
  });

  it("a crate that does not compile: rustc's errors with their code frames", () => {
    const s = summarizeFailures(fixture("cargo/build-error.txt"));
    expect(s.tool).toBe("cargo");
    expect(brief(s.failures)).toEqual([
      { test: undefined, message: "E0308: mismatched types", file: "src/lib.rs", line: 2 },
      { test: undefined, message: "E0308: mismatched types", file: "src/lib.rs", line: 3 },
    ]);
    expect(s.failures[0]?.lines[0]).toBe("error[E0308]: mismatched types");
    expectShort(s.failures);
  });

  it("a passing run", () => {
    expect(summarizeFailures(fixture("cargo/pass.txt"))).toMatchObject({ tool: "cargo", failures: [] });
  });
});
