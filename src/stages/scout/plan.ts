import type { ScoutMemo } from "./memo.js";
import { isChangelog } from "./candidates.js";
import { isTestPath } from "./localize.js";
import { tokenize } from "./tokenize.js";

/** What the build is expected to touch, and for each success criterion how it will be checked. */
export interface Plan {
  files: string[];
  criteria: Array<{ criterion: string; check: string }>;
}

const DOCS = /\b(docs?|documentation|documented|readme|guide|tutorial|manual)\b/i;
const CHANGELOG = /\b(changelog|change log|release notes?|changes\.(md|rst))\b/i;

/**
 * The plan a person approves: the scout's top likely files, and per criterion the
 * evidence the verifier will look for: a changelog or docs change when the criterion
 * is about those; else a test (one the memo relates whose name shares the criterion's
 * words, or a new one), run by the repository's command; else a person's check.
 */
export function planFor(criteria: readonly string[], memo: Pick<ScoutMemo, "likelyFiles" | "relatedTests" | "constraints" | "verification">): Plan {
  const files = memo.likelyFiles.slice(0, 5).map((f) => f.path);
  const command = memo.verification.focused ?? memo.verification.commands[0]?.command;
  const changelog = memo.constraints.find((c) => isChangelog(c.source) || c.source === ".changeset/")?.source;
  const docs = memo.likelyFiles.map((f) => f.path).find((p) => /\.(md|mdx|rst|txt|adoc)$/i.test(p) && !isChangelog(p));
  const tests = [...new Set([...memo.relatedTests.map((t) => t.path), ...memo.likelyFiles.map((f) => f.path).filter(isTestPath)])];
  return {
    files,
    criteria: criteria.map((criterion) => {
      if (CHANGELOG.test(criterion)) return { criterion, check: changelog ? `an entry in \`${changelog}\`` : "a changelog entry (a person checks it)" };
      if (DOCS.test(criterion)) return { criterion, check: docs ? `the documentation change, in \`${docs}\` or near it (a person reads it)` : "the documentation change (a person reads it)" };
      const words = new Set(tokenize(criterion));
      const test = tests.find((t) => tokenize(t).some((w) => words.has(w)));
      if (test && command) return { criterion, check: `a test in \`${test}\` (added or updated), run by \`${command}\`` };
      if (command) return { criterion, check: `a new or updated test, run by \`${command}\`` };
      return { criterion, check: "a person checks it: the scout found no test command" };
    }),
  };
}
