import { describe, expect, it } from "vitest";
import { summarizeFailures } from "../../../../src/stages/verify/failures/index.js";
import { brief, expectShort, fixture } from "./support.js";

const SEVERAL = [
  { test: "tests/test_several.py::test_uses_palette", message: "RuntimeError: palette service is down (in setup)", file: "tests/test_several.py", line: 25 },
  { test: "tests/test_several.py::TestTheme::test_light_in_the_morning", message: "AssertionError: assert 'dark' == 'light'", file: "tests/test_several.py", line: 11 },
  { test: "tests/test_several.py::test_theme_by_hour[9-light]", message: "AssertionError: assert 'dark' == 'light'", file: "tests/test_several.py", line: 16 },
  {
    test: "tests/test_several.py::test_contrast",
    message: "AssertionError: assert {'ratio': 4.5...eme': 'light'} == {'ratio': 4.6...eme': 'light'}",
    file: "tests/test_several.py",
    line: 20,
  },
];

describe("pytest", () => {
  it("a failing assertion: the test id, the E lines and the place", () => {
    const s = summarizeFailures(fixture("pytest/assertion.txt"));
    expect(s.tool).toBe("pytest");
    expect(brief(s.failures)).toEqual([
      { test: "tests/test_assertion.py::test_light_at_noon", message: "AssertionError: assert 'dark' == 'light'", file: "tests/test_assertion.py", line: 5 },
    ]);
    expect(s.failures[0]?.lines).toEqual([
      '>       assert theme_for(12) == "light"',
      "E       AssertionError: assert 'dark' == 'light'",
      "E",
      "E         - light",
      "E         + dark",
      "tests/test_assertion.py:5: AssertionError",
    ]);
  });

  it("an exception from the standard library: the project's innermost line, not json's", () => {
    const s = summarizeFailures(fixture("pytest/thrown.txt"));
    expect(brief(s.failures)).toEqual([
      {
        test: "tests/test_thrown.py::test_bad_input_returns_none",
        message: "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        file: "theme.py",
        line: 9,
      },
    ]);
    expect(s.failures[0]?.lines[0]).toBe('    return json.loads(text)["theme"]');
    expectShort(s.failures);
  });

  it("several failures: a class's test, a parameter, a fixture's error at setup", () => {
    const s = summarizeFailures(fixture("pytest/several.txt"));
    expect(brief(s.failures)).toEqual(SEVERAL);
    expectShort(s.failures);
    // -q drops the session header but not the failures.
    expect(brief(summarizeFailures(fixture("pytest/several-quiet.txt")).failures)).toEqual(SEVERAL);
  });

  it("a module that fails to import stops collection", () => {
    const s = summarizeFailures(fixture("pytest/collection-error.txt"));
    expect(brief(s.failures)).toEqual([{ test: undefined, message: "ModuleNotFoundError: No module named 'palette'", file: "tests/test_collect.py", line: 2 }]);
  });

  it("a passing run", () => {
    expect(summarizeFailures(fixture("pytest/pass.txt"))).toMatchObject({ tool: "pytest", failures: [] });
  });
});
