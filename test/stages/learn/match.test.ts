import { describe, expect, it } from "vitest";
import { globList } from "../../../src/line/globs.js";
import { keywordRegExp, matchLessons } from "../../../src/stages/learn/match.js";

const matches = (glob: string, path: string) => globList([glob])(path) !== undefined;

describe("path globs", () => {
  it.each([
    ["web/[ab]/**", "web/a/x.js", true],
    ["web/[ab]/**", "web/c/x.js", false],
    [".github/**", ".github/workflows/ci.yml", true],
    ["*.yml", ".github/workflows/ci.yml", true],
  ])("character classes and dotfiles: %s against %s is %s", (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it("a negated glob excludes what the others include", () => {
    const web = globList(["web/**", "!web/legacy/**"]);
    expect(web("web/app.ts")).toBe("web/**");
    expect(web("web/legacy/old.ts")).toBeUndefined();
    expect(globList(["!web/**"])("web/x")).toBeUndefined();
    expect(globList(["!web/**"])("src/x")).toBeUndefined();
  });

  it.each([
    ["src/**/*.ts", "src/a.ts", true],
    ["src/**/*.ts", "src/stages/learn/match.ts", true],
    ["src/**/*.ts", "test/a.ts", false],
    ["src/**/*.ts", "src/a.tsx", false],
    ["test/**", "test/stages/learn/match.test.ts", true],
    ["test/**", "src/test/a.ts", false],
    ["**", "any/thing/at/all.md", true],
    ["**/fixtures/*.json", "fixtures/a.json", true],
    ["**/fixtures/*.json", "test/deep/fixtures/a.json", true],
    ["a/**/b.ts", "a/b.ts", true],
    ["a/**/b.ts", "a/x/y/b.ts", true],
    ["a/**/b.ts", "a/xb.ts", false],
  ])("`**` spans any depth: %s against %s is %s", (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it.each([
    ["src/*.ts", "src/index.ts", true],
    ["src/*.ts", "src/stages/index.ts", false],
    ["src/*", "src/a/b.ts", false],
    ["src/?.ts", "src/a.ts", true],
    ["src/?.ts", "src/ab.ts", false],
    ["src/?.ts", "src//.ts", false],
    ["src/*.{ts,tsx}", "src/app.tsx", true],
    ["src/*.{ts,tsx}", "src/app.js", false],
    ["{src,test}/**/*.ts", "test/x/y.ts", true],
    ["src/a.ts", "src/aXts", false],
    ["src/(a)+.ts", "src/(a)+.ts", true],
    ["src/(a)+.ts", "src/aa.ts", false],
  ])("`*` and `?` stay within a segment; the rest is literal: %s against %s is %s", (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it.each([
    ["*.md", "README.md", true],
    ["*.md", "docs/guide/intro.md", true],
    ["*.md", "docs/guide/intro.mdx", false],
    ["package.json", "packages/core/package.json", true],
    ["package.json", "package.json.bak", false],
    ["/package.json", "packages/core/package.json", false],
    ["/package.json", "package.json", true],
    ["docs/", "docs/guide/intro.md", true],
    ["docs/", "src/docs/intro.md", true],
    ["src/legacy", "src/legacy/old.ts", true],
    ["src/legacy", "src/legacy.ts", false],
  ])("like .gitignore, no `/` means any depth, a leading `/` anchors and a directory covers its files: %s against %s is %s", (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });
});

describe("keywordRegExp", () => {
  it("matches whole words case-insensitively, across whitespace, and keywords with punctuation", () => {
    expect(keywordRegExp("assert").test("Please ASSERT the result.")).toBe(true);
    expect(keywordRegExp("assert").test("assertion helpers")).toBe(false);
    expect(keywordRegExp("assert").test("reassert")).toBe(false);
    expect(keywordRegExp("assert").test("soft_assert")).toBe(false);
    expect(keywordRegExp("strict equal").test("use strict\n  equal here")).toBe(true);
    expect(keywordRegExp("c++").test("port the C++ parser")).toBe(true);
    expect(keywordRegExp("node:test").test("run node:test, not jest")).toBe(true);
    expect(keywordRegExp("café").test("cafés")).toBe(false);
    expect(keywordRegExp("café").test("le Café ouvre")).toBe(true);
  });
});

describe("matchLessons", () => {
  const strictEqual = { id: "prefer-strict-equal", paths: ["test/**"], keywords: ["equal", "assert"] };
  const docs = { id: "docs-voice", paths: ["*.md"], keywords: [] };
  const webhooks = { id: "verify-webhooks", paths: [], keywords: ["webhook signature"] };
  const unrelated = { id: "css-tokens", paths: ["styles/**/*.css"], keywords: ["colour"] };
  const lessons = [unrelated, webhooks, docs, strictEqual];

  it("says which glob matched which file and which keywords appear, and leaves out lessons that match nothing", () => {
    const result = matchLessons(lessons, {
      paths: ["src/app.ts", "test/app.test.ts", "README.md"],
      text: "Goal: check the Webhook   signature. Criteria: tests assert the 401.",
    });
    expect(result.map((m) => m.lesson.id)).toEqual(["prefer-strict-equal", "verify-webhooks", "docs-voice"]);
    const [first, second, third] = result;
    expect(first?.why).toEqual({ paths: [{ glob: "test/**", file: "test/app.test.ts" }], keywords: ["assert"] });
    expect(first?.relevance).toBeCloseTo(1 / 3 + 1 / 2, 12);
    expect(second?.why).toEqual({ paths: [], keywords: ["webhook signature"] });
    expect(second?.relevance).toBe(0.5);
    expect(third?.why).toEqual({ paths: [{ glob: "*.md", file: "README.md" }], keywords: [] });
    expect(third?.relevance).toBeCloseTo(1 / 3, 12);
    expect(result[0]?.lesson).toBe(strictEqual);
  });

  it("matches on a path alone or a keyword alone", () => {
    expect(matchLessons([strictEqual], { paths: ["test/x.ts"], text: "" }).map((m) => m.lesson.id)).toEqual(["prefer-strict-equal"]);
    expect(matchLessons([strictEqual], { paths: [], text: "values should be Equal" }).map((m) => m.lesson.id)).toEqual(["prefer-strict-equal"]);
  });

  it("returns nothing when no glob matches a file and no keyword is a whole word of the text", () => {
    expect(matchLessons(lessons, { paths: ["src/app.ts", "lib/x.js"], text: "equality and assertions; the webhook secret" })).toEqual([]);
  });

  it("credits a file once, to the lesson's first glob that matches it, and normalises file paths", () => {
    const lesson = { id: "two-globs", paths: ["src/**", "*.ts"], keywords: [] };
    const [match] = matchLessons([lesson], { paths: ["./src/a.ts", "src/a.ts", "src\\b.ts"], text: "" });
    expect(match?.why.paths).toEqual([
      { glob: "src/**", file: "src/a.ts" },
      { glob: "src/**", file: "src/b.ts" },
    ]);
    expect(match?.relevance).toBe(1);
  });

  it("adds half as much for each further keyword", () => {
    const lesson = { id: "many-words", paths: [], keywords: ["retry", "backoff", "jitter", "timeout"] };
    const relevance = (text: string) => matchLessons([lesson], { paths: [], text })[0]?.relevance;
    expect(relevance("retry")).toBe(0.5);
    expect(relevance("retry with backoff")).toBe(0.75);
    expect(relevance("retry with backoff and jitter")).toBe(0.875);
  });

  it("orders by relevance, then id", () => {
    const a = { id: "bbb", paths: ["src/**"], keywords: [] };
    const b = { id: "aaa", paths: ["*.ts"], keywords: [] };
    const c = { id: "ccc", paths: ["src/**"], keywords: ["retry"] };
    const result = matchLessons([a, b, c], { paths: ["src/a.ts"], text: "add a retry" });
    expect(result.map((m) => [m.lesson.id, m.relevance])).toEqual([
      ["ccc", 1.5],
      ["aaa", 1],
      ["bbb", 1],
    ]);
  });
});
