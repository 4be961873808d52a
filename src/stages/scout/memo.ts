import { isChangelog } from "./candidates.js";
import { parse } from "yaml";
import { isTestPath, pairKey, type RankedFile } from "./localize.js";

/** The scout's output: what `cells/scout/output.schema.json` describes. */
export interface ScoutMemo {
  likelyFiles: Array<{ path: string; score: number; reasons: string[] }>;
  relatedTests: Array<{ path: string; covers: string }>;
  constraints: Array<{ source: string; text: string }>;
  owners: Array<{ path: string; owners: string[] }>;
  verification: { commands: Array<{ command: string; source: string }>; focused: string | null };
  notFound: string[];
  /** The weights the ranking used, when not the defaults (`.factory/scout.json`). */
  weights?: string;
  /** What the build is expected to touch and how each criterion will be checked (`planFor`). */
  plan?: { files: string[]; criteria: Array<{ criterion: string; check: string }> };
  stats: { filesConsidered: number; filesRead: number; historyCommits: number; ms: number };
}

/** The files a memo reads besides the ranked ones: where constraints, owners and commands live. */
export const META_FILES = [
  "README.md",
  "CONTRIBUTING.md",
  ".github/CONTRIBUTING.md",
  "docs/CONTRIBUTING.md",
  ".github/pull_request_template.md",
  ".github/PULL_REQUEST_TEMPLATE.md",
  "docs/pull_request_template.md",
  "CODEOWNERS",
  ".github/CODEOWNERS",
  "docs/CODEOWNERS",
  "package.json",
  "Makefile",
  "pyproject.toml",
  "Cargo.toml",
  "go.mod",
];

export function metaFilesIn(files: readonly string[]): string[] {
  return files.filter((f) => META_FILES.includes(f) || /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f));
}

const MAX_LIKELY = 10;

/** Tests that cover the likely files: same base name by the usual conventions. */
export function relatedTests(likely: readonly string[], files: readonly string[]): Array<{ path: string; covers: string }> {
  const tests = files.filter(isTestPath);
  const out: Array<{ path: string; covers: string }> = [];
  const seen = new Set<string>();
  for (const path of likely) {
    if (isTestPath(path)) {
      const source = files.find((f) => !isTestPath(f) && pairKey(f) === pairKey(path));
      if (!seen.has(path)) out.push({ path, covers: source ?? "itself (a likely file)" });
      seen.add(path);
      continue;
    }
    const key = pairKey(path);
    for (const test of tests.filter((t) => pairKey(t) === key && !seen.has(t))) {
      seen.add(test);
      out.push({ path: test, covers: path });
    }
  }
  return out;
}

/** Rules a contributor is asked to follow: list items and sentences that say must, should, never, always, please. */
export function constraintsFrom(source: string, text: string, limit = 6): Array<{ source: string; text: string }> {
  const out: string[] = [];
  for (const raw of text.replace(/<!--[\s\S]*?-->/g, "").split(/\r?\n/)) {
    const line = raw.replace(/^\s*(?:[-*+]|\d+\.)\s+(?:\[[ xX]\]\s+)?/, "").trim();
    if (line.length < 12 || line.startsWith("#") || line.startsWith("|")) continue;
    const isItem = /^\s*(?:[-*+]|\d+\.)\s/.test(raw);
    if (isItem || /\b(must|should|never|always|please|do not|don't|required?|make sure|ensure)\b/i.test(line)) out.push(line.length > 200 ? `${line.slice(0, 199)}…` : line);
    if (out.length >= limit) break;
  }
  return out.map((text) => ({ source, text }));
}

/**
 * A CODEOWNERS pattern as a RegExp, with GitHub's (gitignore) rules: a leading or
 * inner `/` anchors the pattern at the root; `*` and `?` stay within a segment; `**`
 * spans segments; a trailing `/` matches a directory's contents only; a pattern
 * without a trailing `/*` also matches everything under a directory it names.
 */
export function ownersPattern(pattern: string): RegExp {
  let p = pattern.trim();
  const anchored = p.startsWith("/") || p.slice(0, -1).includes("/");
  p = p.replace(/^\//, "");
  const directory = p.endsWith("/");
  if (directory) p = p.slice(0, -1);
  const segments = p.split("/");
  const parts = segments.map((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") return last ? ".*" : "(?:.*/)?";
    const body = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    return last ? body : `${body}/`;
  });
  const body = parts.join("");
  const lastSegment = segments[segments.length - 1] ?? "";
  // `docs/*` owns the files directly in docs/, not deeper; `build/` owns what is under a directory named build.
  const tail = directory ? "/.*" : lastSegment === "**" ? "" : /\*$/.test(lastSegment) && segments.length > 1 ? "" : "(?:/.*)?";
  return new RegExp(`^${anchored ? "" : "(?:.*/)?"}${body}${tail}$`);
}

export function ownersOf(codeowners: string, paths: readonly string[]): Array<{ path: string; owners: string[] }> {
  const rules = codeowners
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter(Boolean)
    .map((l) => {
      const [pattern = "", ...owners] = l.split(/\s+/);
      return { regex: ownersPattern(pattern), owners };
    });
  return paths.flatMap((path) => {
    let owners: string[] | undefined;
    for (const rule of rules) if (rule.regex.test(path)) owners = rule.owners;
    return owners && owners.length ? [{ path, owners }] : [];
  });
}

function packageManager(files: readonly string[]): "npm" | "pnpm" | "yarn" | "bun" {
  if (files.includes("pnpm-lock.yaml")) return "pnpm";
  if (files.includes("yarn.lock")) return "yarn";
  if (files.includes("bun.lockb") || files.includes("bun.lock")) return "bun";
  return "npm";
}

/** The exact commands that verify a change, from the project's own files, and the narrowest one for the related tests. */
export function verificationPath(
  files: readonly string[],
  read: (path: string) => string | undefined,
  tests: readonly string[],
): { commands: Array<{ command: string; source: string }>; focused: string | null } {
  const commands: Array<{ command: string; source: string }> = [];
  let focused: string | null = null;
  const pkgText = read("package.json");
  if (pkgText) {
    let scripts: Record<string, string> = {};
    try {
      scripts = (JSON.parse(pkgText) as { scripts?: Record<string, string> }).scripts ?? {};
    } catch {
      scripts = {};
    }
    const pm = packageManager(files);
    for (const name of ["test", "lint", "typecheck", "type-check", "check", "build"]) {
      if (!scripts[name]) continue;
      commands.push({ command: name === "test" ? `${pm} test` : `${pm} run ${name}`, source: `package.json scripts.${name}: ${scripts[name]}` });
    }
    const runner = scripts.test ?? "";
    const list = tests.join(" ");
    if (tests.length) {
      if (/\bvitest\b/.test(runner)) focused = `npx vitest run ${list}`;
      else if (/\bjest\b/.test(runner)) focused = `npx jest ${list}`;
      else if (/\bmocha\b/.test(runner)) focused = `npx mocha ${list}`;
      else if (/node\s+--test/.test(runner)) focused = `node --test ${list}`;
    }
  }
  const makefile = read("Makefile");
  if (makefile) {
    for (const target of ["test", "check", "lint"]) if (new RegExp(`^${target}\\s*:`, "m").test(makefile)) commands.push({ command: `make ${target}`, source: `Makefile target ${target}` });
  }
  if (read("pyproject.toml") !== undefined) {
    commands.push({ command: "pytest", source: "pyproject.toml" });
    if (tests.length && focused === null) focused = `pytest ${tests.join(" ")}`;
  }
  if (read("Cargo.toml") !== undefined) commands.push({ command: "cargo test", source: "Cargo.toml" });
  if (read("go.mod") !== undefined) {
    commands.push({ command: "go test ./...", source: "go.mod" });
    const dirs = [...new Set(tests.filter((t) => t.endsWith("_test.go")).map((t) => `./${t.split("/").slice(0, -1).join("/") || "."}`))];
    if (dirs.length && focused === null) focused = `go test ${dirs.join(" ")}`;
  }
  for (const workflow of files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f)).sort()) {
    let doc: unknown;
    try {
      doc = parse(read(workflow) ?? "");
    } catch {
      continue;
    }
    const jobs = (doc as { jobs?: Record<string, { steps?: Array<{ run?: unknown }> }> } | null)?.jobs ?? {};
    for (const job of Object.values(jobs)) {
      for (const step of job?.steps ?? []) {
        if (typeof step?.run !== "string") continue;
        for (const line of step.run.split("\n").map((l) => l.trim())) {
          if (!/\b(test|lint|check|tsc|typecheck|pytest|cargo|go test|vitest|jest|eslint)\b/.test(line) || line.length > 160) continue;
          if (!commands.some((c) => c.command === line)) commands.push({ command: line, source: workflow });
        }
      }
    }
  }
  return { commands: commands.slice(0, 12), focused };
}

/** A changelog at the top (or in docs/, or a .changeset/ folder): not a likely file, a step of every change. */
function changelogConstraint(files: readonly string[]): Array<{ source: string; text: string }> {
  if (files.some((f) => f.startsWith(".changeset/"))) return [{ source: ".changeset/", text: "The repository records each change in a changeset: add one (`npx changeset`)." }];
  const log = files.filter((f) => isChangelog(f) && /^(docs\/)?[^/]+$/.test(f)).sort((a, b) => a.split("/").length - b.split("/").length)[0];
  return log ? [{ source: log, text: `The repository keeps a changelog: add an entry for the change to \`${log}\`.` }] : [];
}

/** Assembles the memo from the ranking and the repository's own files. */
export function buildMemo(input: {
  ranked: readonly RankedFile[];
  files: readonly string[];
  read: (path: string) => string | undefined;
  stats: ScoutMemo["stats"];
}): ScoutMemo {
  const { files, read } = input;
  const likelyFiles = input.ranked.slice(0, MAX_LIKELY).map((r) => ({ path: r.path, score: r.score, reasons: r.reasons.length ? r.reasons : ["ranked by the scout"] }));
  const likely = likelyFiles.map((f) => f.path);
  const tests = relatedTests(likely, files);
  const constraints = [
    ...["CONTRIBUTING.md", ".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md"].flatMap((f) => (read(f) ? constraintsFrom(f, read(f) ?? "") : [])),
    ...[".github/pull_request_template.md", ".github/PULL_REQUEST_TEMPLATE.md", "docs/pull_request_template.md"].flatMap((f) => (read(f) ? constraintsFrom(f, read(f) ?? "", 4) : [])),
    ...changelogConstraint(files),
  ];
  // GitHub reads the first of .github/, the root, docs/.
  const codeownersFile = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"].find((f) => read(f) !== undefined);
  const owners = codeownersFile ? ownersOf(read(codeownersFile) ?? "", likely) : [];
  const verification = verificationPath(files, read, tests.map((t) => t.path));

  const notFound: string[] = [];
  if (likelyFiles.length === 0) notFound.push("no file matched the request: the builder starts from the repository layout");
  if (files.filter(isTestPath).length === 0) notFound.push("no tests in the repository");
  else if (tests.length === 0) notFound.push("no tests next to the likely files");
  if (verification.commands.length === 0) notFound.push("no test or build command (package.json scripts, Makefile, pyproject.toml, Cargo.toml, go.mod or CI workflows)");
  if (!files.some((f) => /^\.github\/workflows\//.test(f))) notFound.push("no CI workflow");
  if (!files.some((f) => /^readme(\.|$)/i.test(f))) notFound.push("no README");
  if (constraints.length === 0) notFound.push("no contributing guide or pull request template");
  if (!codeownersFile) notFound.push("no CODEOWNERS");
  return { likelyFiles, relatedTests: tests, constraints, owners, verification, notFound, stats: input.stats };
}
