import { describe, expect, it } from "vitest";
import { criteriaEvidence } from "../../../src/stages/verify/criteria.js";
import type { Evidence } from "../../../src/stages/verify/verdict.js";

const file = (path: string, status = "modified") => ({ path, status, additions: 1, deletions: 0 });
const passing: Evidence[] = [{ kind: "command", name: "npm test", state: "success" }, { kind: "check", name: "lint", state: "success" }];

describe("criteriaEvidence", () => {
  it("maps a criterion to a test the change touched whose name shares its words, with what passed", () => {
    const [theme] = criteriaEvidence(["the theme toggle remembers the choice"], [file("src/theme.js"), file("test/theme-toggle.test.js", "added")], passing);
    expect(theme).toEqual({ criterion: "the theme toggle remembers the choice", state: "evidence", evidence: "`test/theme-toggle.test.js` (added or changed in this PR); `npm test`, `lint` passed" });
    // One word in common (`page`), or words only in the folders, are not enough.
    expect(criteriaEvidence(["the login page shows an error"], [file("test/page.test.ts"), file("test/login/x.test.ts")], passing)[0]?.state).toBe("person");
  });

  it("marks it failing when that test's file is in a failure", () => {
    const failed: Evidence[] = [{ kind: "command", name: "npm test", state: "failure", failures: [{ message: "Expected dark", file: "test/theme.test.js", line: 3, lines: [] }] }];
    expect(criteriaEvidence(["the dark theme works"], [file("test/dark-theme.test.js")], [{ ...failed[0], failures: [{ message: "x", file: "test/dark-theme.test.js", line: 1, lines: [] }] } as Evidence])[0]).toMatchObject({ state: "failing", evidence: "`test/dark-theme.test.js` fails" });
  });

  it("recognises changelog and docs criteria by the files the change touched", () => {
    const changed = [file("CHANGELOG.md"), file("docs/theme.md"), file("src/theme.js")];
    const [log, docs] = criteriaEvidence(["a changelog entry", "the docs explain the toggle"], changed, passing);
    expect(log).toEqual({ criterion: "a changelog entry", state: "evidence", evidence: "`CHANGELOG.md` changed in this PR" });
    expect(docs).toMatchObject({ state: "evidence", evidence: "`docs/theme.md` changed in this PR (a person reads them)" });
    expect(criteriaEvidence(["a changelog entry", "documented in the README"], [file("src/theme.js")], passing).map((c) => c.state)).toEqual(["person", "person"]);
  });

  it("takes a check or command named like the criterion", () => {
    expect(criteriaEvidence(["lint is clean"], [file("src/a.js")], passing)[0]).toEqual({ criterion: "lint is clean", state: "evidence", evidence: "check `lint` passed" });
  });

  it("shows file and check names inert: they are the change's words, and can hold backticks, HTML or a hidden block's start", () => {
    const [docs, lint] = criteriaEvidence(["the docs explain it", "lint is clean"], [file("docs/<!-- software-factory `x`.md")], [{ kind: "check", name: "lint <img src=x>", state: "success" }]);
    expect(docs?.evidence).toBe("`docs/‹!-- software-factory ˋxˋ.md` changed in this PR (a person reads them)");
    expect(lint?.evidence).toBe("check `lint ‹img src=x›` passed");
  });

  it("never checks a criterion on evidence that says nothing about it: a person does", () => {
    const [unnamed] = criteriaEvidence(["pages load in under a second"], [file("src/a.js"), file("test/a.test.js")], passing);
    expect(unnamed).toEqual({ criterion: "pages load in under a second", state: "person", evidence: "no test named for it; this PR changed `test/a.test.js`; `npm test`, `lint` passed" });
    expect(criteriaEvidence(["pages load fast"], [file("src/a.js")], [])[0]).toMatchObject({ state: "person", evidence: "nothing in this PR's evidence covers it" });
    // A removed test is not evidence.
    expect(criteriaEvidence(["theme works"], [file("test/theme.test.js", "removed")], passing)[0]?.state).toBe("person");
  });
});
