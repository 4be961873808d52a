import { describe, expect, it } from "vitest";
import { HISTORY, pairKey, WEIGHTS } from "../../../src/stages/scout/localize.js";
import { META_FILES } from "../../../src/stages/scout/memo.js";
import type { HistoryCommit, RepoFile, RepoReader } from "../../../src/ports/repo-reader.js";
import { chooseFilesToRead, scout, scoutQuery } from "../../../src/stages/scout/scout.js";

/** An in-memory repository that records what the scout asked of it. */
class FakeReader implements RepoReader {
  readonly served: string[] = [];
  readonly historyLimits: number[] = [];
  readonly commitFilesAsked: string[] = [];
  commitFiles?: (sha: string) => Promise<string[]>;

  constructor(
    private readonly texts: Record<string, string>,
    private readonly commits: HistoryCommit[] = [],
    filesByCommit?: Record<string, string[]>,
  ) {
    if (filesByCommit) {
      this.commitFiles = async (sha) => {
        this.commitFilesAsked.push(sha);
        return filesByCommit[sha] ?? [];
      };
    }
  }

  async listFiles(): Promise<RepoFile[]> {
    return Object.entries(this.texts).map(([path, text]) => ({ path, size: Buffer.byteLength(text) }));
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const path of paths) {
      const text = this.texts[path];
      if (text === undefined) continue;
      this.served.push(path);
      out.set(path, text);
    }
    return out;
  }

  async history(limit: number): Promise<HistoryCommit[]> {
    this.historyLimits.push(limit);
    return this.commits.slice(0, limit);
  }
}

const sha = (n: number) => n.toString(16).padStart(40, "0");
const isMeta = (path: string) => META_FILES.includes(path) || path.startsWith(".github/workflows/") || path.startsWith(".factory/runs/");

/** 40 filler modules, plus the files a login bug is about, plus meta files. */
function bigRepo(): Record<string, string> {
  const texts: Record<string, string> = {
    "package.json": JSON.stringify({ scripts: { test: "vitest run" } }),
    "README.md": "# app",
    "src/auth/login.ts": "export function login(user, password) { return check(password); }",
    "test/auth/login.test.ts": "it('rejects an empty password', () => {})",
    "src/auth/password-reset.ts": "export function resetPassword() {}",
  };
  for (let i = 0; i < 40; i++) texts[`src/modules/module${i}.ts`] = `export const value${i} = ${i};`;
  return texts;
}

describe("scoutQuery", () => {
  it("joins title, goal and criteria, in that order", () => {
    expect(scoutQuery({ title: "T", goal: "G", criteria: ["c1", "c2"] })).toBe("T\n\nG\n\nc1\n\nc2");
    expect(scoutQuery({ title: "T", goal: "", criteria: [] })).toBe("T\n\n");
  });
});

describe("chooseFilesToRead", () => {
  const files = Object.keys(bigRepo());

  it("reads everything when the budget covers it", () => {
    expect(chooseFilesToRead("anything", files.slice(0, 5), 5)).toEqual(files.slice(0, 5));
  });

  it("never exceeds the limit, and prefers files whose paths match the request", () => {
    for (const limit of [1, 2, 3, 4, 10]) {
      const chosen = chooseFilesToRead("Login rejects a valid password", files, limit);
      expect(chosen.length, `limit ${limit}`).toBeLessThanOrEqual(limit);
      expect(new Set(chosen).size).toBe(chosen.length);
      expect(chosen.every((f) => files.includes(f))).toBe(true);
    }
    const one = chooseFilesToRead("Login rejects a valid password", files, 1);
    expect(one).toHaveLength(1);
    expect(["src/auth/login.ts", "src/auth/password-reset.ts"]).toContain(one[0]);
    const four = chooseFilesToRead("Login rejects a valid password", files, 4);
    expect(four).toEqual(expect.arrayContaining(["src/auth/login.ts", "src/auth/password-reset.ts"]));
    expect(four.some((f) => f.startsWith("src/modules/"))).toBe(false);
  });

  it("adds the test of a chosen source file while the budget lasts", () => {
    const chosen = chooseFilesToRead("Login rejects a valid password", files, 4);
    expect(chosen).toContain("test/auth/login.test.ts");
  });

  it("reads a file named in the request even if its path shares no word with it", () => {
    const chosen = chooseFilesToRead("Crash in `module17.ts` at startup", files, 3);
    expect(chosen[0]).toBe("src/modules/module17.ts");
    expect(chosen.filter((f) => pairKey(f) === "module17")).toEqual(["src/modules/module17.ts"]);
  });
});

describe("scout", () => {
  const request = { title: "Login rejects a valid password", goal: "Users with a valid password can log in", criteria: ["an empty password is still rejected"] };

  it("honours limits.filesRead: at most that many files besides the meta files", async () => {
    for (const filesRead of [0, 2, 5]) {
      const reader = new FakeReader(bigRepo());
      const memo = await scout(reader, request, { filesRead, historyCommits: 50 });
      const ranked = reader.served.filter((p) => !isMeta(p));
      expect(ranked.length, `filesRead ${filesRead}`).toBeLessThanOrEqual(filesRead);
      expect(reader.served).toEqual(expect.arrayContaining(["package.json", "README.md"]));
      expect(memo.stats.filesRead).toBe(reader.served.length);
      expect(memo.stats.filesConsidered).toBe(Object.keys(bigRepo()).length);
    }
  });

  it("still ranks files it could not afford to read, by their paths", async () => {
    const reader = new FakeReader(bigRepo());
    const memo = await scout(reader, request, { filesRead: 2, historyCommits: 50 });
    expect(memo.likelyFiles[0]?.path).toBe("src/auth/login.ts");
    expect(memo.relatedTests).toEqual([{ path: "test/auth/login.test.ts", covers: "src/auth/login.ts" }]);
    expect(memo.verification.focused).toBe("npx vitest run test/auth/login.test.ts");
  });

  it("reads every file when the budget allows, and passes the history limit on", async () => {
    const reader = new FakeReader(bigRepo());
    await scout(reader, request, { filesRead: 1000, historyCommits: 7 });
    expect(new Set(reader.served)).toEqual(new Set(Object.keys(bigRepo())));
    expect(reader.historyLimits).toEqual([7]);
  });

  it("reads post-run notes, ranks their files, and reports unreadable ones", async () => {
    const texts = {
      ...bigRepo(),
      ".factory/runs/2026-01-01-login.json": JSON.stringify({ v: 1, artifact: "o/r#1", title: "Login with a valid password fails", changedFiles: ["src/modules/module3.ts"] }),
      ".factory/runs/2026-01-02-bad.json": "{ nope",
    };
    const reader = new FakeReader(texts);
    const memo = await scout(reader, request, { filesRead: 2, historyCommits: 50 });
    const module3 = memo.likelyFiles.find((f) => f.path === "src/modules/module3.ts");
    expect(module3?.reasons).toContain("changed by an earlier artifact on the same area (.factory/runs/2026-01-01-login.json)");
    expect(memo.likelyFiles.some((f) => f.path.startsWith(".factory/"))).toBe(false);
    expect(memo.notFound).toContain("a readable post-run note in .factory/runs/2026-01-02-bad.json (not JSON)");
  });

  it("asks a messages-only history for the files of similar commits only", async () => {
    const commits = [
      { sha: sha(1), message: "fix: login with a valid password", files: [] },
      { sha: sha(2), message: "chore: release 1.0", files: [] },
      { sha: sha(3), message: "docs: typo", files: [] },
    ];
    const reader = new FakeReader(bigRepo(), commits, { [sha(1)]: ["src/modules/module9.ts"], [sha(2)]: ["package.json"] });
    const memo = await scout(reader, request, { filesRead: 2, historyCommits: 50 });
    expect(reader.commitFilesAsked).toEqual([sha(1)]);
    expect(reader.commitFilesAsked.length).toBeLessThanOrEqual(HISTORY.similarCommits);
    const module9 = memo.likelyFiles.find((f) => f.path === "src/modules/module9.ts");
    expect(module9?.reasons.some((r) => r.startsWith(`changed by a similar past change ${sha(1).slice(0, 7)}`))).toBe(true);
    expect(memo.stats.historyCommits).toBe(3);
  });

  it("is deterministic apart from its timing", async () => {
    const run = async () => {
      const memo = await scout(new FakeReader(bigRepo()), request, { filesRead: 3, historyCommits: 50 });
      return { ...memo, stats: { ...memo.stats, ms: 0 } };
    };
    expect(await run()).toEqual(await run());
  });
});

describe("the scout with a repository's calibration (.factory/scout.json)", () => {
  // The request's words name a doc page; the code a similar past change touched is what the defaults put first.
  const texts = {
    "docs/retry.md": "# retry\n\nretry retry retry options",
    "src/backoff.ts": "// the delay before a retry\nexport function backoff(attempt: number) { return attempt * 100; }",
    "README.md": "# x",
  };
  const commits: HistoryCommit[] = [{ sha: sha(1), message: "fix retry delays", files: ["src/backoff.ts"] }];
  const request = { title: "retry is broken", goal: "", criteria: [] };
  const limits = { filesRead: 50, historyCommits: 100 };

  it("ranks with the weights the file gives and says so in the memo", async () => {
    const defaults = await scout(new FakeReader(texts, commits), request, limits);
    expect(defaults.likelyFiles[0]?.path).toBe("src/backoff.ts");
    expect(defaults.weights).toBeUndefined();

    const file = { version: 1, weights: { ...WEIGHTS, history: 0, recency: 0 }, fitted: { at: "2026-11-29T00:00:00.000Z", commit: "abc", fitCases: 40, heldOutCases: 20, heldOutBefore: 0.61, heldOutAfter: 0.7, margin: 0.02 } };
    const memo = await scout(new FakeReader({ ...texts, ".factory/scout.json": JSON.stringify(file) }, commits), request, limits);
    expect(memo.likelyFiles[0]?.path).toBe("docs/retry.md");
    expect(memo.likelyFiles.map((f) => f.path)).not.toContain(".factory/scout.json");
    expect(memo.weights).toBe("weights calibrated for this repository (.factory/scout.json, fitted 2026-11-29 on 40 past changes; held-out recall@10 0.61 → 0.7 on 20 later ones)");
  });

  it("a file over 16 KB is not read: the memo says so, and the defaults are used", async () => {
    const memo = await scout(new FakeReader({ ...texts, ".factory/scout.json": `{"version":1,"weights":{}}${" ".repeat(20_000)}` }, commits), request, limits);
    expect(memo.likelyFiles[0]?.path).toBe("src/backoff.ts");
    expect(memo.notFound).toContainEqual(expect.stringMatching(/^usable weights in \.factory\/scout\.json \(20026 bytes, over the 16384 allowed\)/));
  });

  it("a file that does not parse is named in the memo, and the defaults are used", async () => {
    const memo = await scout(new FakeReader({ ...texts, ".factory/scout.json": '{"version":1,"weights":{"text":"high"}}' }, commits), request, limits);
    expect(memo.likelyFiles[0]?.path).toBe("src/backoff.ts");
    expect(memo.notFound).toContainEqual(expect.stringMatching(/^usable weights in \.factory\/scout\.json \(weights\.text: .*\); the default weights were used$/));
  });
});
