import { describe, expect, it } from "vitest";
import { identifiersIn, isCodeChange, isTestPath, pairKey, rankFiles, snapshotRepo, withoutReferences, type RankedFile, type RepoSnapshot } from "../../../src/stages/scout/localize.js";
import type { HistoryCommit, RepoReader } from "../../../src/ports/repo-reader.js";

function snapshot(files: Record<string, string>, history: HistoryCommit[] = []): RepoSnapshot {
  return { files: Object.keys(files), contents: new Map(Object.entries(files)), history };
}

let shaCounter = 0;
function commit(message: string, files: string[]): HistoryCommit {
  shaCounter += 1;
  return { sha: shaCounter.toString(16).padStart(40, "0"), message, files };
}

const find = (ranking: RankedFile[], path: string) => ranking.find((r) => r.path === path);

describe("identifiersIn", () => {
  it("finds backticked names, camelCase, snake_case, kebab-case options and file paths", () => {
    const ids = identifiersIn("Calling `getUser(id)` in src/api/users.ts fails for snake_case_var and the `collapse-after` option; see config.yml");
    expect(ids).toEqual(expect.arrayContaining(["getUser", "src/api/users.ts", "snake_case_var", "collapse-after", "config.yml"]));
  });

  it("leaves out keywords, literals and short fragments", () => {
    const ids = identifiersIn("It returns `null` instead of `true`; `id` and `x` are fine");
    expect(ids).not.toContain("null");
    expect(ids).not.toContain("true");
    expect(ids).not.toContain("id");
    expect(ids).not.toContain("x");
  });

  it("finds config files, other languages' files and dotfiles named in the request", () => {
    const ids = identifiersIn("Align the `.gitignore` syntax, bump pyproject.toml and setup.cfg, fix include/util.h");
    expect(ids).toEqual(expect.arrayContaining([".gitignore", "pyproject.toml", "setup.cfg", "include/util.h"]));
  });

  it("finds nothing in plain prose", () => {
    expect(identifiersIn("The page is slow when many people open it at once.")).toEqual([]);
  });
});

describe("withoutReferences", () => {
  it("drops references to other threads and the words that introduce them", () => {
    const text = withoutReferences("Closes #2983. Refs: https://github.com/pallets/click/discussions/3527 and pallets/click#12, see GH-40; Fixes https://github.com/o/r/pull/3581#issuecomment-1");
    expect(text).not.toMatch(/\d{2}/);
    expect(text).not.toMatch(/closes|refs|fixes|github|discussions/i);
  });

  it("keeps other links and the request's own words and numbers", () => {
    const text = withoutReferences("Return 404 for missing pages, as https://nodejs.org/api/http.html says; fix the router");
    expect(text).toContain("404");
    expect(text).toContain("https://nodejs.org/api/http.html");
    expect(text).toContain("fix the router");
  });
});

describe("isCodeChange", () => {
  it("is true for behaviour changes", () => {
    for (const message of ["fix: handle empty body", "feat(cli)!: drop --old", "Handle empty body", "perf: cache trees", "updated the parser to accept tabs", "choreography: new steps"]) {
      expect(isCodeChange(message), message).toBe(true);
    }
  });

  it("is false for housekeeping: chores, CI, docs, releases, reverts, bumps, merges", () => {
    for (const message of ["chore: bump deps", "chore(deps)!: drop node 18", "ci: cache npm", "docs(readme): typo", "style: prettier", "release: 1.2.0", "revert: feat x", "build: esbuild", "Bump lodash from 4.17.20 to 4.17.21", "Merge pull request #12 from a/b", "Update README.md", "Release 2.0.0"]) {
      expect(isCodeChange(message), message).toBe(false);
    }
  });
});

describe("pairKey and isTestPath", () => {
  it("gives a source file and its test the same key, by the usual conventions", () => {
    expect(pairKey("src/stages/scout/memo.ts")).toBe("memo");
    expect(pairKey("test/stages/scout/memo.test.ts")).toBe("memo");
    expect(pairKey("src/memo.spec.js")).toBe("memo");
    expect(pairKey("pkg/memo_test.go")).toBe("memo");
    expect(pairKey("tests/test_memo.py")).toBe("memo");
    expect(pairKey("src/Memo.tsx")).toBe("memo");
  });

  it("does not strip test-like words from the middle of a name", () => {
    expect(pairKey("src/latest_test_data.ts")).toBe("latest_test_data");
    expect(pairKey("src/contest.ts")).toBe("contest");
  });

  it("recognises test files by directory and by name", () => {
    for (const path of ["test/a.ts", "src/tests/a.py", "__tests__/a.js", "spec/a.rb", "src/a.test.ts", "src/a.spec.tsx", "pkg/a_test.go", "test_a.py", "lib/test_a.py"]) {
      expect(isTestPath(path), path).toBe(true);
    }
  });

  it("does not mistake source files with test-like words for tests", () => {
    for (const path of ["src/latest/a.ts", "src/contest.ts", "src/testing/a.ts", "src/attest_x.py", "src/a.testdata.json", "specs.md"]) {
      expect(isTestPath(path), path).toBe(false);
    }
  });
});

describe("rankFiles", () => {
  it("ranks a file that defines an identifier named in the request above one that only calls it", () => {
    const repo = snapshot({
      "src/store.ts": "export async function loadWidgets() { return cache.values(); }",
      "src/view.ts": "export function view() { return render(loadWidgets()); }",
      "src/other.ts": "export const unrelated = 1;",
    });
    const ranking = rankFiles("`loadWidgets` returns stale data", repo);
    expect(ranking[0]?.path).toBe("src/store.ts");
    expect(find(ranking, "src/store.ts")?.reasons).toContain("defines `loadWidgets`");
    expect(find(ranking, "src/view.ts")?.reasons).not.toContain("defines `loadWidgets`");
    expect(find(ranking, "src/other.ts")).toBeUndefined();
  });

  it("finds a Go method's definition, and a name whose first letter's case the request flips", () => {
    const repo = snapshot({
      "completions.go": "package cobra\n\nfunc (c *Command) initDefaultCompletionCmd(args []string) {\n}\n",
      "command.go": "package cobra\n\nfunc (c *Command) Execute() error {\n\tc.initDefaultCompletionCmd(nil)\n\treturn nil\n}\n",
    });
    const ranking = rankFiles("feat: make `InitDefaultCompletionCmd` public", repo);
    expect(ranking[0]?.path).toBe("completions.go");
    expect(find(ranking, "completions.go")?.reasons).toContain("defines `initDefaultCompletionCmd`");
    expect(find(ranking, "command.go")?.reasons ?? []).not.toContain("defines `initDefaultCompletionCmd`");
  });

  it("ranks a file the request names exactly, dotfiles and config files included", () => {
    const repo = snapshot({ ".gitignore": "dist/\n", "pyproject.toml": "[project]\nname = 'x'\n", ".eslintrc": "{}", "src/app.py": "print('hello')" });
    const ranking = rankFiles("Align `.gitignore` syntax and the version in pyproject.toml", repo);
    expect(ranking.slice(0, 2).map((r) => r.path).sort()).toEqual([".gitignore", "pyproject.toml"]);
    expect(find(ranking, ".gitignore")?.reasons).toContain("named in the request (`.gitignore`)");
    expect(find(ranking, ".eslintrc")).toBeUndefined();
  });

  it("does not match an issue number against file text; a past change that names the same thread votes for its files", () => {
    const repo = snapshot(
      {
        "src/ports.ts": "export const ports = [3126, 8080];",
        "src/completion.ts": "export function complete() {}",
      },
      [commit("Shell completion for nested groups (#3126)", ["src/completion.ts"])],
    );
    const ranking = rankFiles("Cleanup #3126", repo);
    expect(ranking[0]?.path).toBe("src/completion.ts");
    expect(find(ranking, "src/ports.ts")).toBeUndefined();
  });

  it("pulls a file whose name matches an identifier even when nothing else matches", () => {
    const repo = snapshot({ "src/loadWidgets.ts": "export default 1;", "src/b.ts": "export default 2;" });
    const ranking = rankFiles("`loadWidgets` is slow", repo);
    expect(ranking[0]?.path).toBe("src/loadWidgets.ts");
    expect(ranking[0]?.reasons).toContain("its name matches `loadWidgets`");
  });

  it("pulls a file whose name's words are all in the request, in plain words; one word alone is not enough", () => {
    const repo = snapshot({
      "active_help.go": "package cobra",
      "help.go": "package cobra",
      "bash_completions.go": "package cobra // env var program help text help help",
    });
    const ranking = rankFiles("Replace all non-alphanumerics in active help env var program", repo);
    expect(ranking[0]?.path).toBe("active_help.go");
    expect(find(ranking, "active_help.go")?.reasons).toContain("its name's words are all in the request");
    expect(find(ranking, "help.go")?.reasons ?? []).not.toContain("its name's words are all in the request");
  });

  it("a source file pulls its test in, with the reason", () => {
    const repo = snapshot({
      "src/money.ts": "export function total(lines) { return round(sum(lines) - discount(lines)); } // discount rounding",
      "test/money.test.ts": "expect(money(1)).toBe(1);",
      "src/unrelated.ts": "export const x = 1;",
    });
    const ranking = rankFiles("Discount rounding is wrong", repo);
    expect(ranking[0]?.path).toBe("src/money.ts");
    const test = find(ranking, "test/money.test.ts");
    expect(test?.reasons).toEqual(["test of src/money.ts"]);
    expect(find(ranking, "src/unrelated.ts")).toBeUndefined();
  });

  it("a test file pulls its source in, with the reason", () => {
    const repo = snapshot({
      "src/money.ts": "export const x = 1;",
      "test/money.test.ts": "it('applies the discount before rounding', () => {})",
      "src/unrelated.ts": "export const y = 2;",
    });
    const ranking = rankFiles("Discount rounding is wrong", repo);
    expect(ranking[0]?.path).toBe("test/money.test.ts");
    expect(find(ranking, "src/money.ts")?.reasons).toEqual(["source of test/money.test.ts"]);
  });

  it("a source file pulls in the page of documentation named like it (an index page by its folder), with the reason; its test pulls none", () => {
    const repo = snapshot({
      "completions.go": "package cobra // shell completion for flags: ShellCompDirective",
      "completions_test.go": "package cobra // tests",
      "site/content/completions/_index.md": "# Shell completions\n\nGenerating scripts.",
      "site/content/active_help.md": "# Active help",
      "docs/other.md": "# Other",
    });
    const ranking = rankFiles("Flag completion drops the ShellCompDirective", repo);
    expect(ranking[0]?.path).toBe("completions.go");
    expect(find(ranking, "site/content/completions/_index.md")?.reasons).toContain("the page of documentation named like completions.go");
    expect(find(ranking, "site/content/active_help.md")).toBeUndefined();
    expect(find(ranking, "docs/other.md")).toBeUndefined();

    // Led by the test alone, no page comes in: a test is not what the page describes.
    const byTest = rankFiles("Flag completion tests", snapshot({ "completions.go": "package cobra", "completions_test.go": "package cobra // flag completion tests", "docs/completions.md": "# Completions" }));
    expect(byTest[0]?.path).toBe("completions_test.go");
    expect(find(byTest, "docs/completions.md")?.reasons ?? []).not.toContain("the page of documentation named like completions_test.go");
  });

  it("only source code pulls a page, and a page's name is kept whole (docs/test_runner.md documents no runner.py)", () => {
    const ranking = rankFiles(
      "the release workflow skips the runner",
      snapshot({ ".github/workflows/release.yml": "on: push # release workflow", "docs/release.md": "# Releasing", "src/runner.py": "def runner(): pass  # the runner", "docs/test_runner.md": "# The test runner" }),
    );
    expect(find(ranking, ".github/workflows/release.yml")).toBeDefined();
    expect(find(ranking, "src/runner.py")).toBeDefined();
    expect(find(ranking, "docs/release.md")?.reasons ?? []).not.toContain("the page of documentation named like .github/workflows/release.yml");
    expect(find(ranking, "docs/test_runner.md")?.reasons ?? []).not.toContain("the page of documentation named like src/runner.py");
  });

  it("a name that three pages share pulls none of them in", () => {
    const repo = snapshot({
      "src/config.ts": "export function loadConfig() { /* reads the config file */ }",
      "docs/config.md": "# Configuration",
      "docs/api/config.md": "# config()",
      "site/config/index.md": "# Config",
    });
    const ranking = rankFiles("loadConfig ignores the file", repo);
    expect(ranking[0]?.path).toBe("src/config.ts");
    for (const page of ["docs/config.md", "docs/api/config.md", "site/config/index.md"]) expect(find(ranking, page)?.reasons ?? []).not.toContain("the page of documentation named like src/config.ts");
    // Two pages of that name would each come in.
    const two = rankFiles("loadConfig ignores the file", snapshot({ "src/config.ts": "export function loadConfig() {}", "docs/config.md": "# Configuration", "site/config/index.md": "# Config" }));
    expect(find(two, "site/config/index.md")?.reasons).toContain("the page of documentation named like src/config.ts");
  });

  it("a page of prose that shares a test's name is not its source, nor pulls it in", () => {
    const repo = snapshot({
      "docs/money.md": "# Money\n\nHow the discount is applied before rounding.",
      "test/money.test.ts": "expect(money(1)).toBe(1);",
      "test/money.md": "Fixtures for the money tests: discount rounding cases.",
      "src/money.ts": "export const x = 1;",
    });
    const ranking = rankFiles("Document the discount rounding", repo);
    expect(ranking[0]?.path).toBe("docs/money.md");
    // Neither the doc's name nor a doc among the tests pairs anything: only text brought them in.
    expect(find(ranking, "test/money.test.ts")).toBeUndefined();
    expect(find(ranking, "src/money.ts")).toBeUndefined();
  });

  it("pulls files that changed together with a text hit, and ranks them above files that did not", () => {
    const repo = snapshot(
      {
        "src/parser.ts": "export function parse(source) { /* tokenizer for the query syntax */ }",
        "src/grammar.ts": "export const RULES = [];",
        "src/loner.ts": "export const LONER = [];",
      },
      [commit("rework internals", ["src/parser.ts", "src/grammar.ts"]), commit("rework more internals", ["src/parser.ts", "src/grammar.ts"]), commit("tidy", ["src/loner.ts"])],
    );
    const ranking = rankFiles("Query syntax tokenizer crashes on quotes", repo);
    expect(ranking[0]?.path).toBe("src/parser.ts");
    const grammar = find(ranking, "src/grammar.ts");
    expect(grammar?.reasons.some((r) => r.startsWith("changes together with src/parser.ts (2 of 2 times)"))).toBe(true);
    // loner.ts changed lately, and nothing about the request points to it.
    expect(find(ranking, "src/loner.ts")).toBeUndefined();
  });

  it("a request for documentation ranks the page that speaks of it above the code that does it", () => {
    const repo = snapshot({
      "src/plugin.go": "package cobra\n// plugin loading: plugin name, plugin path, plugin annotation\nfunc loadPlugin() {}\n",
      "site/content/user_guide.md": "# User guide\n\n## Plugins\n\nA plugin is a command; see the annotation.\n",
    });
    const docs = rankFiles("Document how to create a plugin", repo);
    expect(docs[0]?.path).toBe("site/content/user_guide.md");
    expect(docs[0]?.reasons).toContain("a page of documentation, and the request asks for documentation");
    // The same words without asking for documentation: the code leads.
    const code = rankFiles("Create a plugin", repo);
    expect(code[0]?.path).toBe("src/plugin.go");
    expect(code.flatMap((r) => r.reasons)).not.toContain("a page of documentation, and the request asks for documentation");
  });

  it("recency orders the files the request points to and brings in none by itself", () => {
    const repo = snapshot(
      { "src/hot.ts": "export const hot = 1;", "src/cold-parser.ts": "// parser", "src/warm-parser.ts": "// parser" },
      [commit("fix: hot path", ["src/hot.ts"]), commit("fix: hot path again", ["src/hot.ts"]), commit("fix: speed", ["src/warm-parser.ts"])],
    );
    const ranking = rankFiles("The parser", repo);
    expect(ranking.map((r) => r.path)).toEqual(["src/warm-parser.ts", "src/cold-parser.ts"]);
    expect(find(ranking, "src/warm-parser.ts")?.reasons).toContain("changed often lately");
  });

  it("lets past changes that read like the request vote for the files they touched", () => {
    const repo = snapshot({ "src/theme.ts": "export const palette = {};", "src/api.ts": "export const api = {};" }, [commit("fix: dark mode colours on mobile", ["src/theme.ts"])]);
    const ranking = rankFiles("Dark mode toggle", repo);
    expect(ranking[0]?.path).toBe("src/theme.ts");
    expect(ranking[0]?.reasons.some((r) => r.startsWith("changed by a similar past change 0000000"))).toBe(true);
  });

  it("ignores sweeping commits, however well their message matches", () => {
    const many = Array.from({ length: 20 }, (_, i) => `src/f${i}.ts`);
    const repo = snapshot(Object.fromEntries(many.map((f) => [f, "export {};"])), [commit("dark mode everywhere", many)]);
    expect(rankFiles("Dark mode toggle", repo)).toEqual([]);
  });

  it("ranks the files of a prior note on the same area, naming the note", () => {
    const repo = snapshot({ "src/theme.ts": "export const palette = {};", "src/api.ts": "export const api = {};" });
    const notes = [{ ref: ".factory/runs/2026-01-01-dark-mode.json", text: "Dark mode toggle in settings", files: ["src/theme.ts", "src/deleted.ts"] }];
    const ranking = rankFiles("Make the dark mode toggle remember its state", repo, notes);
    expect(ranking.map((r) => r.path)).toEqual(["src/theme.ts"]);
    expect(ranking[0]?.reasons).toContain("changed by an earlier artifact on the same area (.factory/runs/2026-01-01-dark-mode.json)");
  });

  const mixed = () =>
    snapshot(
      {
        "src/auth/login.ts": "export function login(user, password) { return createSession(user); }",
        "test/auth/login.test.ts": "it('logs in', () => login('a', 'b'))",
        "src/session.ts": "export function createSession(user) { return { user }; }",
        "src/theme.ts": "export const palette = {};",
        "README.md": "# Demo\nLog in with your password.",
      },
      [commit("fix: login with empty password", ["src/auth/login.ts", "src/session.ts"]), commit("feat: sessions expire", ["src/session.ts", "src/auth/login.ts"]), commit("chore: bump deps", ["package.json"])],
    );
  const mixedQuery = "Login fails when `createSession` gets an empty password";
  const mixedNotes = [{ ref: "o/r#3", text: "Password reset", files: ["src/theme.ts"] }];

  it("gives every ranked file at least one reason, strongest first, at most three", () => {
    const ranking = rankFiles(mixedQuery, mixed(), mixedNotes);
    expect(ranking.length).toBeGreaterThanOrEqual(4);
    for (const file of ranking) {
      expect(file.reasons.length, file.path).toBeGreaterThan(0);
      expect(file.reasons.length, file.path).toBeLessThanOrEqual(3);
      for (const reason of file.reasons) expect(reason.trim().length, file.path).toBeGreaterThan(5);
    }
    // Scores only ever come down the list.
    for (let i = 1; i < ranking.length; i++) expect((ranking[i - 1] as RankedFile).score).toBeGreaterThanOrEqual((ranking[i] as RankedFile).score);
  });

  it("is deterministic: the same input twice, or an equal snapshot, gives the same ranking", () => {
    const repo = mixed();
    const first = rankFiles(mixedQuery, repo, mixedNotes);
    expect(rankFiles(mixedQuery, repo, mixedNotes)).toEqual(first);
    expect(rankFiles(mixedQuery, mixed(), mixedNotes)).toEqual(first);
  });

  it("breaks score ties by path, whatever the file order", () => {
    const a = snapshot({ "b/widget.ts": "x", "a/widget.ts": "x", "c/widget.ts": "x" });
    const b = snapshot({ "c/widget.ts": "x", "a/widget.ts": "x", "b/widget.ts": "x" });
    expect(rankFiles("widget", a).map((r) => r.path)).toEqual(["a/widget.ts", "b/widget.ts", "c/widget.ts"]);
    expect(rankFiles("widget", b)).toEqual(rankFiles("widget", a));
  });

  it("returns nothing, without throwing, for an empty request or an empty repository", () => {
    expect(rankFiles("", snapshot({ "src/a.ts": "login" }))).toEqual([]);
    expect(rankFiles("login", snapshot({}))).toEqual([]);
    expect(rankFiles("login", snapshot({}, [commit("fix: login", ["src/gone.ts"])]), mixedNotes)).toEqual([]);
  });

  it("with an empty request, still ranks by history alone, each file saying so", () => {
    const ranking = rankFiles("", mixed());
    expect(ranking.map((r) => r.path)).toContain("src/session.ts");
    expect(find(ranking, "src/session.ts")?.reasons).toContain("changed often lately");
  });
});

describe("snapshotRepo", () => {
  it("keeps candidate files that could be read, with the history", async () => {
    const history = [commit("fix: x", ["src/a.ts"])];
    const reader: RepoReader = {
      listFiles: async () => [
        { path: "src/a.ts", size: 10 },
        { path: "package-lock.json", size: 10 },
        { path: "logo.png", size: 10 },
        { path: "src/empty.ts", size: 0 },
        { path: "src/unreadable.ts", size: 10 },
      ],
      readFiles: async (paths) => new Map(paths.filter((p) => p !== "src/unreadable.ts").map((p) => [p, `text of ${p}`])),
      history: async () => history,
    };
    const snap = await snapshotRepo(reader);
    expect(snap.files).toEqual(["src/a.ts"]);
    expect(snap.contents.get("src/a.ts")).toBe("text of src/a.ts");
    expect(snap.history).toBe(history);
  });
});
