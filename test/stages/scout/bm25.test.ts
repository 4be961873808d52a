import { describe, expect, it } from "vitest";
import { bm25Baseline } from "../../../src/stages/scout/baseline.js";
import { indexSnapshot } from "../../../src/stages/scout/localize.js";
import { Bm25 } from "../../../src/stages/scout/bm25.js";

const words = (text: string) => text.split(" ").filter(Boolean);

describe("Bm25", () => {
  it("scores a document with the query terms above one without, and the latter 0", () => {
    const bm25 = new Bm25([words("parse config file"), words("render button label")]);
    const [withTerms, without] = bm25.scores(["config"]);
    expect(withTerms).toBeGreaterThan(0);
    expect(without).toBe(0);
  });

  it("weighs a rare term above a common one (IDF)", () => {
    const bm25 = new Bm25([words("cache token"), words("cache"), words("cache"), words("cache")]);
    expect(bm25.idf("token")).toBeGreaterThan(bm25.idf("cache"));
    const docs = new Bm25([words("cache alpha"), words("token alpha"), words("cache beta"), words("cache gamma")]);
    const [cacheDoc, tokenDoc] = docs.scores(["cache", "token"]);
    expect(tokenDoc).toBeGreaterThan(cacheDoc as number);
  });

  it("gives a term absent from the corpus a positive IDF, and it scores nothing", () => {
    const bm25 = new Bm25([words("a b"), words("c d")]);
    expect(bm25.idf("zzz")).toBeGreaterThan(0);
    expect([...bm25.scores(["zzz"])]).toEqual([0, 0]);
  });

  it("ranks a short document above a long one with the same term count (length normalisation)", () => {
    const padding = Array.from({ length: 40 }, (_, i) => `pad${i}`);
    const bm25 = new Bm25([["webhook", ...padding], ["webhook", "pad0"], words("other thing")]);
    const [long, short] = bm25.scores(["webhook"]);
    expect(short).toBeGreaterThan(long as number);
  });

  it("rewards repetition with diminishing returns (term-frequency saturation)", () => {
    const bm25 = new Bm25([words("retry x x x"), words("retry retry x x"), words("retry retry retry retry"), words("y y y y")]);
    const [one, two, four] = bm25.scores(["retry"]);
    expect(two).toBeGreaterThan(one as number);
    expect(four).toBeGreaterThan(two as number);
    expect((four as number) - (two as number)).toBeLessThan((two as number) - (one as number));
  });

  it("counts a repeated query term once", () => {
    const bm25 = new Bm25([words("label sync"), words("other doc")]);
    expect(bm25.scores(["label", "label", "label"])[0]).toBeCloseTo(bm25.scores(["label"])[0] as number, 12);
  });

  it("does not throw on an empty query, an empty corpus or empty documents", () => {
    expect([...new Bm25([words("a b")]).scores([])]).toEqual([0]);
    const empty = new Bm25([]);
    expect(empty.size).toBe(0);
    expect(empty.scores(["a"])).toHaveLength(0);
    const blanks = new Bm25([[], []]);
    const scores = [...blanks.scores(["a"])];
    expect(scores).toEqual([0, 0]);
    expect(scores.every(Number.isFinite)).toBe(true);
  });
});

describe("bm25Baseline", () => {
  const files = ["src/auth/login.ts", "src/render/button.ts", "docs/readme.md", "src/util.ts"];
  const contents = new Map([
    ["src/auth/login.ts", "export function login(user, password) { return session(user); }"],
    ["src/render/button.ts", "export function button(label) { return `<button>${label}</button>`; }"],
    ["docs/readme.md", "How to log in: open the login page and enter your password."],
    ["src/util.ts", "export const noop = () => {};"],
  ]);

  it("puts the file whose path matches first and leaves out files with no match", () => {
    const ranking = bm25Baseline("Login fails with a wrong password", files, contents);
    expect(ranking[0]).toBe("src/auth/login.ts");
    expect(ranking).toContain("docs/readme.md");
    expect(ranking).not.toContain("src/render/button.ts");
    expect(ranking).not.toContain("src/util.ts");
  });

  it("weighs a path match above the same word in the text", () => {
    const ranking = bm25Baseline("button", ["src/a.ts", "src/button.ts"], new Map([["src/a.ts", "button button"], ["src/button.ts", "x"]]));
    expect(ranking).toEqual(["src/button.ts", "src/a.ts"]);
  });

  it("breaks ties by path, whatever the input order", () => {
    const same = new Map([["b/x.ts", "widget"], ["a/x.ts", "widget"], ["c/x.ts", "widget"]]);
    expect(bm25Baseline("widget", ["b/x.ts", "a/x.ts", "c/x.ts"], same)).toEqual(["a/x.ts", "b/x.ts", "c/x.ts"]);
    expect(bm25Baseline("widget", ["c/x.ts", "b/x.ts", "a/x.ts"], same)).toEqual(["a/x.ts", "b/x.ts", "c/x.ts"]);
  });

  it("returns nothing for an empty query or an empty repository, and tolerates unread files", () => {
    expect(bm25Baseline("", files, contents)).toEqual([]);
    expect(bm25Baseline("the of and", files, contents)).toEqual([]);
    expect(bm25Baseline("login", [], new Map())).toEqual([]);
    expect(bm25Baseline("login", ["src/login.ts"], new Map())).toEqual(["src/login.ts"]);
  });
});

describe("bm25Baseline over the scout's index", () => {
  it("ranks exactly as when it builds its own documents", () => {
    const files = ["src/login.ts", "src/logout.ts", "docs/login.md", "README.md"];
    const contents = new Map([["src/login.ts", "export function login(password) { check(password) }"], ["src/logout.ts", "export function logout() {}"], ["docs/login.md", "How to log in with a password"], ["README.md", "widgets"]]);
    const index = indexSnapshot({ files, contents, history: [] }).bm25;
    for (const query of ["Login fails with a wrong password", "logout", "widgets docs"]) {
      expect(bm25Baseline(query, files, contents, index)).toEqual(bm25Baseline(query, files, contents));
    }
  });
});
