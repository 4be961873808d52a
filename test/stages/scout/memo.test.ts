import { describe, expect, it } from "vitest";
import { buildMemo, constraintsFrom, metaFilesIn, ownersOf, ownersPattern, relatedTests, verificationPath } from "../../../src/stages/scout/memo.js";

/** GitHub's CODEOWNERS rules, as its documentation states them (about-code-owners). */
describe("ownersPattern / ownersOf (GitHub CODEOWNERS semantics)", () => {
  const owner = (codeowners: string, path: string) => ownersOf(codeowners, [path])[0]?.owners;

  it("`*` matches every file, at any depth", () => {
    for (const path of ["README.md", "src/a.ts", "a/b/c/d.txt"]) expect(ownersPattern("*").test(path), path).toBe(true);
  });

  it("`*.js` matches .js files at any depth, and nothing else", () => {
    const re = ownersPattern("*.js");
    expect(re.test("index.js")).toBe(true);
    expect(re.test("src/deep/er/app.js")).toBe(true);
    expect(re.test("src/app.ts")).toBe(false);
    expect(re.test("src/app.json")).toBe(false);
  });

  it("the last matching rule wins", () => {
    const codeowners = "*       @global-owner\n*.js    @js-owner\n";
    expect(owner(codeowners, "src/app.js")).toEqual(["@js-owner"]);
    expect(owner(codeowners, "src/app.css")).toEqual(["@global-owner"]);
    expect(owner("*.js @js-owner\n* @global-owner\n", "src/app.js")).toEqual(["@global-owner"]);
  });

  it("a leading `/` anchors at the root; `/build/logs/` owns everything under it", () => {
    const re = ownersPattern("/build/logs/");
    expect(re.test("build/logs/today.log")).toBe(true);
    expect(re.test("build/logs/old/2020.log")).toBe(true);
    expect(re.test("src/build/logs/today.log")).toBe(false);
    expect(re.test("build/logs2/x.log")).toBe(false);
  });

  it("`apps/` owns files in an apps directory anywhere, and `/docs/` only the one at the root", () => {
    expect(ownersPattern("apps/").test("apps/web/index.ts")).toBe(true);
    expect(ownersPattern("apps/").test("packages/apps/web/index.ts")).toBe(true);
    expect(ownersPattern("apps/").test("myapps/web.ts")).toBe(false);
    expect(ownersPattern("/docs/").test("docs/a/b.md")).toBe(true);
    expect(ownersPattern("/docs/").test("site/docs/a.md")).toBe(false);
  });

  it("`**/logs` owns any logs directory, at the root or nested", () => {
    const re = ownersPattern("**/logs");
    for (const path of ["logs/a.log", "build/logs/a.log", "deeply/nested/logs/a.log"]) expect(re.test(path), path).toBe(true);
    expect(re.test("build/catalogs/a.log")).toBe(false);
  });

  it("a `/` inside a pattern anchors it at the root, like gitignore", () => {
    expect(ownersPattern("src/app").test("src/app/main.ts")).toBe(true);
    expect(ownersPattern("src/app").test("lib/src/app/main.ts")).toBe(false);
  });

  it("`docs/*` matches files directly in docs/, not further nested files", () => {
    // GitHub: "The `docs/*` pattern will match files like `docs/getting-started.md`
    // but not further nested files like `docs/build-app/troubleshooting.md`."
    expect(ownersPattern("docs/*").test("docs/getting-started.md")).toBe(true);
    expect(ownersPattern("docs/*").test("docs/build-app/troubleshooting.md")).toBe(false);
    expect(owner("* @all\ndocs/* @docs\n", "docs/build-app/troubleshooting.md")).toEqual(["@all"]);
  });

  it("a trailing `/**` matches everything inside the directory", () => {
    // gitignore, whose rules CODEOWNERS follows: "A trailing `/**` matches everything inside."
    expect(ownersPattern("/docs/**").test("docs/a.md")).toBe(true);
    expect(ownersPattern("/docs/**").test("docs/guide/b.md")).toBe(true);
    expect(ownersPattern("/docs/**").test("src/docs/a.md")).toBe(false);
  });

  it("a directory pattern (`build/`) does not match a file of that name", () => {
    // gitignore: "If there is a separator at the end of the pattern then the pattern will only match directories."
    expect(ownersPattern("build/").test("build/out.js")).toBe(true);
    expect(ownersPattern("build/").test("scripts/build")).toBe(false);
  });

  it("a later rule with no owners leaves the path unowned", () => {
    const codeowners = "/apps/ @octocat\n/apps/github\n";
    expect(owner(codeowners, "apps/web/x.ts")).toEqual(["@octocat"]);
    expect(owner(codeowners, "apps/github/x.ts")).toBeUndefined();
  });

  it("is case-sensitive, and ignores comments and blank lines", () => {
    const codeowners = "# owners\n\n/Docs/ @upper  # trailing comment\n*.md @md-team @org/writers\n";
    expect(owner(codeowners, "docs/x.txt")).toBeUndefined();
    expect(owner(codeowners, "Docs/x.txt")).toEqual(["@upper"]);
    expect(owner(codeowners, "docs/x.md")).toEqual(["@md-team", "@org/writers"]);
  });

  it("escapes regex characters in patterns and supports `?` for one character", () => {
    expect(ownersPattern("a+b.txt").test("a+b.txt")).toBe(true);
    expect(ownersPattern("a+b.txt").test("aab.txt")).toBe(false);
    expect(ownersPattern("file?.ts").test("file1.ts")).toBe(true);
    expect(ownersPattern("file?.ts").test("file12.ts")).toBe(false);
  });
});

describe("constraintsFrom", () => {
  it("keeps list items and must/should/never/please sentences, and skips headings, tables, comments and short lines", () => {
    const text = [
      "# Contributing",
      "<!-- Please ignore this hidden comment entirely -->",
      "Thanks for helping out with the project today.",
      "- Run the linter before pushing your branch",
      "* [x] Tests cover the new behaviour",
      "1. Keep pull requests small and focused",
      "You must sign the CLA before we can merge.",
      "| Column | must be ignored as a table row |",
      "- short",
      "Never commit generated files to the repository.",
    ].join("\n");
    expect(constraintsFrom("CONTRIBUTING.md", text).map((c) => c.text)).toEqual([
      "Run the linter before pushing your branch",
      "Tests cover the new behaviour",
      "Keep pull requests small and focused",
      "You must sign the CLA before we can merge.",
      "Never commit generated files to the repository.",
    ]);
    expect(constraintsFrom("CONTRIBUTING.md", text)[0]?.source).toBe("CONTRIBUTING.md");
  });

  it("stops at the limit and shortens very long lines", () => {
    const items = Array.from({ length: 10 }, (_, i) => `- Rule number ${i} for contributors`).join("\r\n");
    expect(constraintsFrom("x", items, 3)).toHaveLength(3);
    const long = constraintsFrom("x", `- ${"a".repeat(300)}`)[0]?.text ?? "";
    expect(long).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
  });

  it("finds nothing in text without rules", () => {
    expect(constraintsFrom("README.md", "# Title\n\nA library for widgets.\n")).toEqual([]);
  });
});

describe("relatedTests", () => {
  const files = ["src/a.ts", "src/b.ts", "test/a.test.ts", "src/a.spec.ts", "test/b_test.go", "test/orphan.test.ts", "src/c.ts"];

  it("lists the tests of each likely source file, by name convention", () => {
    expect(relatedTests(["src/a.ts"], files)).toEqual([
      { path: "test/a.test.ts", covers: "src/a.ts" },
      { path: "src/a.spec.ts", covers: "src/a.ts" },
    ]);
  });

  it("lists a likely test file with the source it covers, or itself", () => {
    expect(relatedTests(["test/a.test.ts"], files)).toEqual([{ path: "test/a.test.ts", covers: "src/a.ts" }]);
    expect(relatedTests(["test/orphan.test.ts"], files)).toEqual([{ path: "test/orphan.test.ts", covers: "itself (a likely file)" }]);
  });

  it("lists each test once when a source and its test are both likely", () => {
    const tests = relatedTests(["src/a.ts", "test/a.test.ts", "src/b.ts"], files);
    expect(tests.map((t) => t.path)).toEqual(["test/a.test.ts", "src/a.spec.ts", "test/b_test.go"]);
  });

  it("is empty for a file without tests", () => {
    expect(relatedTests(["src/c.ts"], files)).toEqual([]);
  });
});

describe("metaFilesIn", () => {
  it("keeps the files that hold constraints, owners and commands, and CI workflows", () => {
    const files = ["README.md", "src/README.md", ".github/CODEOWNERS", "package.json", "packages/x/package.json", ".github/workflows/ci.yml", ".github/workflows/sub/x.yml", ".github/workflows/notes.txt", "go.mod", "src/a.ts"];
    expect(metaFilesIn(files)).toEqual(["README.md", ".github/CODEOWNERS", "package.json", ".github/workflows/ci.yml", "go.mod"]);
  });
});

describe("verificationPath", () => {
  const reader = (texts: Record<string, string>) => (path: string) => texts[path];

  it("turns package.json scripts into commands and narrows vitest to the related tests", () => {
    const pkg = JSON.stringify({ scripts: { test: "vitest run", lint: "eslint .", build: "tsc -p .", start: "node ." } });
    const result = verificationPath(["package.json"], reader({ "package.json": pkg }), ["test/a.test.ts", "test/b.test.ts"]);
    expect(result.commands).toEqual([
      { command: "npm test", source: "package.json scripts.test: vitest run" },
      { command: "npm run lint", source: "package.json scripts.lint: eslint ." },
      { command: "npm run build", source: "package.json scripts.build: tsc -p ." },
    ]);
    expect(result.focused).toBe("npx vitest run test/a.test.ts test/b.test.ts");
  });

  it("uses the package manager the lock file names", () => {
    const pkg = JSON.stringify({ scripts: { test: "jest", typecheck: "tsc --noEmit" } });
    const pnpm = verificationPath(["package.json", "pnpm-lock.yaml"], reader({ "package.json": pkg }), ["a.test.js"]);
    expect(pnpm.commands.map((c) => c.command)).toEqual(["pnpm test", "pnpm run typecheck"]);
    expect(pnpm.focused).toBe("npx jest a.test.js");
    expect(verificationPath(["package.json", "yarn.lock"], reader({ "package.json": pkg }), []).commands[0]?.command).toBe("yarn test");
  });

  it("narrows mocha and node --test, and leaves focused null for an unknown runner or no tests", () => {
    const run = (test: string, tests: string[]) => verificationPath(["package.json"], reader({ "package.json": JSON.stringify({ scripts: { test } }) }), tests).focused;
    expect(run("mocha 'test/**/*.js'", ["test/a.js"])).toBe("npx mocha test/a.js");
    expect(run("node --test test/", ["test/a.test.mjs"])).toBe("node --test test/a.test.mjs");
    expect(run("ava", ["test/a.js"])).toBeNull();
    expect(run("vitest run", [])).toBeNull();
  });

  it("survives a package.json that is not JSON", () => {
    expect(verificationPath(["package.json"], reader({ "package.json": "{ not json" }), [])).toEqual({ commands: [], focused: null });
  });

  it("reads Makefile targets test, check and lint, but not others", () => {
    const makefile = "build:\n\tcc main.c\ntest: build\n\t./run-tests\nlint :\n\tclang-tidy\n# check: commented\n";
    const result = verificationPath(["Makefile"], reader({ Makefile: makefile }), []);
    expect(result.commands).toEqual([
      { command: "make test", source: "Makefile target test" },
      { command: "make lint", source: "Makefile target lint" },
    ]);
  });

  it("uses pytest for pyproject.toml, narrowed to the related tests", () => {
    const result = verificationPath(["pyproject.toml"], reader({ "pyproject.toml": "[project]\nname='x'\n" }), ["tests/test_a.py"]);
    expect(result.commands).toEqual([{ command: "pytest", source: "pyproject.toml" }]);
    expect(result.focused).toBe("pytest tests/test_a.py");
  });

  it("uses cargo test for Cargo.toml and go test for go.mod, narrowed to the test packages", () => {
    expect(verificationPath(["Cargo.toml"], reader({ "Cargo.toml": "[package]" }), []).commands).toEqual([{ command: "cargo test", source: "Cargo.toml" }]);
    const go = verificationPath(["go.mod"], reader({ "go.mod": "module x" }), ["pkg/a/a_test.go", "pkg/a/b_test.go", "pkg/c/c_test.go"]);
    expect(go.commands).toEqual([{ command: "go test ./...", source: "go.mod" }]);
    expect(go.focused).toBe("go test ./pkg/a ./pkg/c");
  });

  it("takes the test and lint lines of CI workflows' run steps, once each", () => {
    const pkg = JSON.stringify({ scripts: { test: "vitest" } });
    const workflow = [
      "on: push",
      "jobs:",
      "  ci:",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "      - run: npm ci",
      "      - run: |",
      "          npx tsc --noEmit",
      "          npx eslint .",
      "          npm test",
      "  other:",
      "    steps:",
      "      - run: npx eslint .",
      `      - run: echo test ${"x".repeat(200)}`,
    ].join("\n");
    const result = verificationPath(["package.json", ".github/workflows/ci.yml", ".github/workflows/broken.yml"], reader({ "package.json": pkg, ".github/workflows/ci.yml": workflow, ".github/workflows/broken.yml": "jobs: [unclosed" }), []);
    expect(result.commands).toEqual([
      { command: "npm test", source: "package.json scripts.test: vitest" },
      { command: "npx tsc --noEmit", source: ".github/workflows/ci.yml" },
      { command: "npx eslint .", source: ".github/workflows/ci.yml" },
    ]);
  });

  it("finds nothing, without throwing, when the repository says nothing", () => {
    expect(verificationPath(["main.c"], reader({}), ["test_main.c"])).toEqual({ commands: [], focused: null });
  });
});

describe("buildMemo", () => {
  const stats = { filesConsidered: 1, filesRead: 1, historyCommits: 0, ms: 3 };

  it("names the repository's changelog as a constraint (a step of every change), a changeset folder likewise", () => {
    const withLog = buildMemo({ ranked: [], files: ["src/changes.ts", "docs/CHANGES.rst", "CHANGES.rst", "pkg/a/CHANGELOG.md"], read: () => undefined, stats });
    expect(withLog.constraints).toEqual([{ source: "CHANGES.rst", text: "The repository keeps a changelog: add an entry for the change to `CHANGES.rst`." }]);
    const changesets = buildMemo({ ranked: [], files: [".changeset/config.json", "CHANGELOG.md"], read: () => undefined, stats });
    expect(changesets.constraints).toEqual([{ source: ".changeset/", text: "The repository records each change in a changeset: add one (`npx changeset`)." }]);
    expect(buildMemo({ ranked: [], files: ["pkg/a/CHANGELOG.md", "src/changes.ts"], read: () => undefined, stats }).constraints).toEqual([]);
  });

  it("says what it could not find in a bare repository", () => {
    const memo = buildMemo({ ranked: [], files: ["main.c"], read: () => undefined, stats });
    expect(memo.likelyFiles).toEqual([]);
    expect(memo.relatedTests).toEqual([]);
    expect(memo.constraints).toEqual([]);
    expect(memo.owners).toEqual([]);
    expect(memo.verification).toEqual({ commands: [], focused: null });
    expect(memo.notFound).toEqual([
      "no file matched the request: the builder starts from the repository layout",
      "no tests in the repository",
      "no test or build command (package.json scripts, Makefile, pyproject.toml, Cargo.toml, go.mod or CI workflows)",
      "no CI workflow",
      "no README",
      "no contributing guide or pull request template",
      "no CODEOWNERS",
    ]);
    expect(memo.stats).toEqual(stats);
  });

  it("assembles likely files, tests, constraints, owners and commands from a complete repository", () => {
    const texts: Record<string, string> = {
      "package.json": JSON.stringify({ scripts: { test: "vitest run" } }),
      "CONTRIBUTING.md": "- Add a test for every bug fix you make",
      ".github/pull_request_template.md": "- [ ] I ran the linter on my change",
      ".github/CODEOWNERS": "* @core\nsrc/auth/ @security\n",
      ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: npm test\n",
      "README.md": "# x",
    };
    const files = [...Object.keys(texts), "src/auth/login.ts", "test/auth/login.test.ts", "src/theme.ts"];
    const ranked = [
      { path: "src/auth/login.ts", score: 2, reasons: ["path matches \"login\""] },
      { path: "src/theme.ts", score: 1, reasons: [] },
    ];
    const memo = buildMemo({ ranked, files, read: (p) => texts[p], stats });
    expect(memo.likelyFiles).toEqual([
      { path: "src/auth/login.ts", score: 2, reasons: ["path matches \"login\""] },
      { path: "src/theme.ts", score: 1, reasons: ["ranked by the scout"] },
    ]);
    expect(memo.relatedTests).toEqual([{ path: "test/auth/login.test.ts", covers: "src/auth/login.ts" }]);
    expect(memo.constraints).toEqual([
      { source: "CONTRIBUTING.md", text: "Add a test for every bug fix you make" },
      { source: ".github/pull_request_template.md", text: "I ran the linter on my change" },
    ]);
    expect(memo.owners).toEqual([
      { path: "src/auth/login.ts", owners: ["@security"] },
      { path: "src/theme.ts", owners: ["@core"] },
    ]);
    expect(memo.verification.focused).toBe("npx vitest run test/auth/login.test.ts");
    expect(memo.notFound).toEqual([]);
  });

  it("keeps at most ten likely files", () => {
    const ranked = Array.from({ length: 15 }, (_, i) => ({ path: `src/f${i}.ts`, score: 15 - i, reasons: ["r"] }));
    expect(buildMemo({ ranked, files: ranked.map((r) => r.path), read: () => undefined, stats }).likelyFiles).toHaveLength(10);
  });

  it("reports tests that exist but not next to the likely files", () => {
    const memo = buildMemo({ ranked: [{ path: "src/a.ts", score: 1, reasons: ["r"] }], files: ["src/a.ts", "test/b.test.ts"], read: () => undefined, stats });
    expect(memo.notFound).toContain("no tests next to the likely files");
    expect(memo.notFound).not.toContain("no tests in the repository");
  });

  it("reads .github/CODEOWNERS before a root CODEOWNERS, as GitHub does", () => {
    // GitHub: "If CODEOWNERS files exist in more than one of those locations [.github/, root, docs/],
    // GitHub will search for them in that order and use the first one it finds."
    const texts: Record<string, string> = { CODEOWNERS: "* @root-owner", ".github/CODEOWNERS": "* @github-owner", "docs/CODEOWNERS": "* @docs-owner" };
    const memo = buildMemo({ ranked: [{ path: "src/a.ts", score: 1, reasons: ["r"] }], files: [...Object.keys(texts), "src/a.ts"], read: (p) => texts[p], stats });
    expect(memo.owners).toEqual([{ path: "src/a.ts", owners: ["@github-owner"] }]);
  });
});
