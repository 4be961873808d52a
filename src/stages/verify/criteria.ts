import type { ChangedFile } from "../../ports/github.js";
import { codeSpan } from "../../line/text.js";
import { isChangelog } from "../scout/candidates.js";
import { isTestPath } from "../scout/localize.js";
import { tokenize } from "../scout/tokenize.js";
import type { Evidence } from "./verdict.js";

/** One success criterion and what checked it: evidence, a failure, or nothing a machine can show (a person checks). */
export interface CriterionEvidence {
  criterion: string;
  state: "evidence" | "failing" | "person";
  evidence: string;
}

const DOCS_CRITERION = /\b(docs?|documentation|documented|readme|guide|tutorial|manual)\b/i;
const CHANGELOG_CRITERION = /\b(changelog|change log|release notes?)\b/i;
const DOCS_FILE = /(^|\/)(docs?|documentation)\/|\.(md|mdx|rst|adoc)$|(^|\/)readme/i;

/** Words a criterion and a name share (as the scout tokenizes them), leaving out the ones every test path or criterion has. */
const GENERIC = new Set(["test", "tests", "spec", "specs", "src", "lib", "js", "ts", "mjs", "cjs", "py", "go", "rs", "pass", "passes", "work", "works", "should", "must", "can", "new", "add", "added", "change"]);
function shared(criterion: string, name: string): number {
  const words = new Set(tokenize(criterion).filter((w) => !GENERIC.has(w)));
  return new Set(tokenize(name).filter((w) => words.has(w))).size;
}
/** A file's own name (not its folders): `test/ui/theme-toggle.test.js` → `theme-toggle.test.js`. */
const baseName = (path: string) => path.split("/").pop() ?? path;

/** Paths and check names are the change's and CI's words, not the app's: shown inert. */
const list = (names: readonly string[]) => names.slice(0, 3).map((n) => codeSpan(n, 200)).join(", ") + (names.length > 3 ? ` and ${names.length - 3} more` : "");

/**
 * Maps each success criterion to the evidence for it at one commit: a changelog or
 * docs file the change touched (for criteria about those); a test the change added
 * or touched whose file name shares two of the criterion's words (failing when its file is in a
 * failure); a check or command named like it; failing those, "needs a person".
 * A criterion is never marked checked on evidence that says nothing about it.
 */
export function criteriaEvidence(criteria: readonly string[], changed: readonly ChangedFile[], evidence: readonly Evidence[]): CriterionEvidence[] {
  const touched = changed.filter((f) => f.status !== "removed").map((f) => f.path);
  const tests = touched.filter(isTestPath);
  const passed = evidence.filter((e) => e.state === "success");
  const failedFiles = new Set(evidence.flatMap((e) => (e.state === "failure" ? (e.failures ?? []).flatMap((f) => (f.file ? [f.file] : [])) : [])));
  const ran = passed.length ? `; ${list(passed.map((e) => e.name))} passed` : "";
  return criteria.map((criterion): CriterionEvidence => {
    if (CHANGELOG_CRITERION.test(criterion)) {
      const logs = touched.filter(isChangelog);
      return logs.length ? { criterion, state: "evidence", evidence: `${list(logs)} changed in this PR` } : { criterion, state: "person", evidence: "no changelog file changed in this PR" };
    }
    if (DOCS_CRITERION.test(criterion)) {
      const docs = touched.filter((p) => DOCS_FILE.test(p) && !isChangelog(p));
      return docs.length ? { criterion, state: "evidence", evidence: `${list(docs)} changed in this PR (a person reads them)` } : { criterion, state: "person", evidence: "no documentation changed in this PR" };
    }
    // Two words in common with the test's own name: one shared word (`page`) says too little.
    const named = tests.filter((t) => shared(criterion, baseName(t)) >= 2);
    const failing = named.filter((t) => failedFiles.has(t));
    if (failing.length) return { criterion, state: "failing", evidence: `${list(failing)} fails` };
    if (named.length && passed.length) return { criterion, state: "evidence", evidence: `${list(named)} (added or changed in this PR)${ran}` };
    const check = evidence.find((e) => e.kind !== "command" && shared(criterion, e.name) >= 1) ?? evidence.find((e) => e.kind === "command" && shared(criterion, e.name) >= 1);
    if (check) return { criterion, state: check.state === "success" ? "evidence" : check.state === "failure" ? "failing" : "person", evidence: `${check.kind === "command" ? "command" : check.kind} ${codeSpan(check.name, 200)} ${check.state === "success" ? "passed" : check.state === "failure" ? "failed" : "has not finished"}` };
    if (tests.length && passed.length) return { criterion, state: "person", evidence: `no test named for it; this PR changed ${list(tests)}${ran}` };
    return { criterion, state: "person", evidence: passed.length ? `no test in this PR covers it${ran}` : "nothing in this PR's evidence covers it" };
  });
}
