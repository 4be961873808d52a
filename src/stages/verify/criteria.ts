import type { ChangedFile } from "../../ports/github.js";
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

/** Words shared by two texts (as the scout tokenizes them), ignoring the generic ones every criterion has. */
const GENERIC = new Set(["test", "tests", "pass", "passes", "work", "works", "should", "must", "can", "new", "add", "added", "change"]);
function shares(a: string, b: string): boolean {
  const words = new Set(tokenize(a).filter((w) => !GENERIC.has(w)));
  return tokenize(b).some((w) => words.has(w));
}

const list = (paths: readonly string[]) => paths.slice(0, 3).map((p) => `\`${p}\``).join(", ") + (paths.length > 3 ? ` and ${paths.length - 3} more` : "");

/**
 * Maps each success criterion to the evidence for it at one commit: a changelog or
 * docs file the change touched (for criteria about those); a test the change added
 * or touched whose name shares the criterion's words (failing when its file is in a
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
    const named = tests.filter((t) => shares(criterion, t));
    const failing = named.filter((t) => failedFiles.has(t));
    if (failing.length) return { criterion, state: "failing", evidence: `${list(failing)} fails` };
    if (named.length && passed.length) return { criterion, state: "evidence", evidence: `${list(named)} (added or changed in this PR)${ran}` };
    const check = evidence.find((e) => e.kind !== "command" && shares(criterion, e.name)) ?? evidence.find((e) => e.kind === "command" && shares(criterion, e.name));
    if (check) return { criterion, state: check.state === "success" ? "evidence" : check.state === "failure" ? "failing" : "person", evidence: `${check.kind === "command" ? "command" : check.kind} \`${check.name}\` ${check.state === "success" ? "passed" : check.state === "failure" ? "failed" : "has not finished"}` };
    if (tests.length && passed.length) return { criterion, state: "person", evidence: `no test named for it; this PR changed ${list(tests)}${ran}` };
    return { criterion, state: "person", evidence: passed.length ? `no test in this PR covers it${ran}` : "nothing in this PR's evidence covers it" };
  });
}
