import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalGitReader } from "../../src/cells/repo/local-git-reader.js";

// The reader's own git calls inherit this environment: keep the developer's git config out.
const savedEnv = { global: process.env.GIT_CONFIG_GLOBAL, nosystem: process.env.GIT_CONFIG_NOSYSTEM };
process.env.GIT_CONFIG_GLOBAL = "/dev/null";
process.env.GIT_CONFIG_NOSYSTEM = "1";

let root: string;
let work: string;
let bare: string;
const shas: Record<string, string> = {};

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", env: process.env }).trim();
}

function write(path: string, text: string | Buffer): void {
  mkdirSync(dirname(join(work, path)), { recursive: true });
  writeFileSync(join(work, path), text);
}

function commit(name: string, message: string): void {
  git(work, "add", "-A");
  git(work, "commit", "-q", "--allow-empty", "-m", message);
  shas[name] = git(work, "rev-parse", "HEAD");
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "factory-git-reader-"));
  work = join(root, "work");
  mkdirSync(work);
  git(work, "init", "-q");

  write("README.md", "# Widgets\n");
  write("src/widget.ts", "export const widget = 1;\n");
  commit("first", "feat: widgets\n\nThe first widget.");

  write("src/widget.ts", "export const widget = 2;\n");
  write("test/widget.test.ts", "it('works', () => {});\n");
  commit("second", "fix: widget value");

  write("src/later.ts", "export const later = true;\n");
  symlinkSync("widget.ts", join(work, "src/link.ts"));
  write("assets/blob.bin", Buffer.from([0x89, 0x50, 0x00, 0x01, 0x02]));
  write("data/big.txt", `big-${"x".repeat(4096)}\n`);
  write("data/shared.txt", `shared-${"y".repeat(2048)}\n`);
  commit("third", "feat: later things");

  write("docs/café.md", "Accents in a path.\n");
  commit("accents", "docs: a page with an accented name");

  bare = join(root, "bare.git");
  git(root, "clone", "-q", "--bare", work, bare);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (savedEnv.global === undefined) delete process.env.GIT_CONFIG_GLOBAL;
  else process.env.GIT_CONFIG_GLOBAL = savedEnv.global;
  if (savedEnv.nosystem === undefined) delete process.env.GIT_CONFIG_NOSYSTEM;
  else process.env.GIT_CONFIG_NOSYSTEM = savedEnv.nosystem;
});

const paths = async (reader: LocalGitReader) => (await reader.listFiles()).map((f) => f.path).sort();

describe("LocalGitReader", () => {
  it("lists the files at the given commit, not those added later, with their sizes", async () => {
    const first = await new LocalGitReader(join(work, ".git"), shas.first as string).listFiles();
    expect(first.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: "README.md", size: 10 },
      { path: "src/widget.ts", size: 25 },
    ]);
    expect(await paths(new LocalGitReader(join(work, ".git"), shas.second as string))).toEqual(["README.md", "src/widget.ts", "test/widget.test.ts"]);
  });

  it("lists blobs only: no symlinks", async () => {
    const files = await paths(new LocalGitReader(join(work, ".git"), shas.third as string));
    expect(files).toContain("src/later.ts");
    expect(files).not.toContain("src/link.ts");
  });

  it("reads the contents as they were at the commit, including non-ASCII paths", async () => {
    const atFirst = await new LocalGitReader(join(work, ".git"), shas.first as string).readFiles(["src/widget.ts", "README.md"]);
    expect(atFirst).toEqual(new Map([["src/widget.ts", "export const widget = 1;\n"], ["README.md", "# Widgets\n"]]));
    const latest = new LocalGitReader(join(work, ".git"), shas.accents as string);
    expect(await paths(latest)).toContain("docs/café.md");
    const read = await latest.readFiles(["src/widget.ts", "docs/café.md"]);
    expect(read.get("src/widget.ts")).toBe("export const widget = 2;\n");
    expect(read.get("docs/café.md")).toBe("Accents in a path.\n");
  });

  it("leaves out a missing file, a file added later, and binary files, without throwing", async () => {
    const atFirst = new LocalGitReader(join(work, ".git"), shas.first as string);
    const read = await atFirst.readFiles(["src/later.ts", "no/such/file.ts", "README.md"]);
    expect([...read.keys()]).toEqual(["README.md"]);
    const atThird = await new LocalGitReader(join(work, ".git"), shas.third as string).readFiles(["assets/blob.bin", "src/later.ts"]);
    expect([...atThird.keys()]).toEqual(["src/later.ts"]);
    expect(await atFirst.readFiles([])).toEqual(new Map());
  });

  it("leaves out a file larger than its limit", async () => {
    const read = await new LocalGitReader(join(work, ".git"), shas.third as string, 1024).readFiles(["data/big.txt", "README.md"]);
    expect([...read.keys()]).toEqual(["README.md"]);
  });

  it("reads a file within its limit even after a reader with a smaller limit skipped it", async () => {
    const small = await new LocalGitReader(join(work, ".git"), shas.third as string, 100).readFiles(["data/shared.txt"]);
    expect(small.has("data/shared.txt")).toBe(false);
    const large = await new LocalGitReader(join(work, ".git"), shas.third as string).readFiles(["data/shared.txt"]);
    expect(large.get("data/shared.txt")).toMatch(/^shared-y+\n$/);
  });

  it("reports history newest first, with full messages and the files each commit touched", async () => {
    const history = await new LocalGitReader(join(work, ".git"), shas.second as string).history(10);
    expect(history).toEqual([
      { sha: shas.second, message: "fix: widget value", files: ["src/widget.ts", "test/widget.test.ts"] },
      { sha: shas.first, message: "feat: widgets\n\nThe first widget.", files: ["README.md", "src/widget.ts"] },
    ]);
  });

  it("limits the history and sees nothing after the commit", async () => {
    const history = await new LocalGitReader(join(work, ".git"), shas.third as string).history(1);
    expect(history.map((c) => c.sha)).toEqual([shas.third]);
    expect(history[0]?.files).toEqual(["assets/blob.bin", "data/big.txt", "data/shared.txt", "src/later.ts", "src/link.ts"]);
  });

  it("names a non-ASCII path in history exactly as listFiles does", async () => {
    const reader = new LocalGitReader(join(work, ".git"), shas.accents as string);
    const [latest] = await reader.history(1);
    expect(latest?.files).toEqual(["docs/café.md"]);
    expect(await paths(reader)).toEqual(expect.arrayContaining(latest?.files ?? ["(none)"]));
  });

  it("works on a bare clone", async () => {
    const reader = new LocalGitReader(bare, shas.second as string);
    expect(await paths(reader)).toEqual(["README.md", "src/widget.ts", "test/widget.test.ts"]);
    expect((await reader.readFiles(["test/widget.test.ts"])).get("test/widget.test.ts")).toBe("it('works', () => {});\n");
    expect((await reader.history(5)).map((c) => c.message)).toEqual(["fix: widget value", "feat: widgets\n\nThe first widget."]);
  });

  it("rejects a commit that does not exist", async () => {
    await expect(new LocalGitReader(bare, "0".repeat(40)).listFiles()).rejects.toThrow();
  });
});

describe("history from the kept commit graph", () => {
  it("is what git log -n --no-merges gives at every base, merges, side branches and a shallow clone included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "factory-git-graph-"));
    const g = (...args: string[]) => git(dir, ...args);
    g("init", "-q");
    const at = (n: number) => ({ ...process.env, GIT_COMMITTER_DATE: `${1_700_000_000 + n * 60} +0000`, GIT_AUTHOR_DATE: `${1_700_000_000 + n * 60} +0000` });
    let tick = 0;
    const change = (file: string, message: string) => {
      writeFileSync(join(dir, file), `${message}\n`);
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-a", "--allow-empty", "-m", message], { cwd: dir, env: at(tick++) });
    };
    writeFileSync(join(dir, "a.txt"), "a\n");
    g("add", "-A");
    change("a.txt", "start");
    for (let i = 0; i < 4; i++) {
      g("checkout", "-q", "-b", `side${i}`);
      writeFileSync(join(dir, `s${i}.txt`), "s\n");
      g("add", "-A");
      change(`s${i}.txt`, `side ${i}`);
      g("checkout", "-q", "-");
      change("a.txt", `main ${i}`);
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "merge", "-q", "--no-ff", "-m", `merge side ${i}`, `side${i}`], { cwd: dir, env: at(tick++) });
      change("a.txt", `after ${i}`);
    }
    const gitDir = join(dir, ".git");
    const log = (base: string, n: number) =>
      g("log", `-n${n}`, "--no-merges", "--format=%x1e%H", "--name-only", base)
        .split("\x1e")
        .filter(Boolean)
        .map((r) => r.trim().split("\n").filter(Boolean));
    const bases = g("log", "--format=%H", "HEAD").split("\n");
    // Oldest base first: each newer one finds commits the graph has not seen yet.
    for (const base of bases.reverse()) {
      for (const n of [3, 1000]) {
        const history = await new LocalGitReader(gitDir, base).history(n);
        expect(history.map((c) => [c.sha, ...c.files])).toEqual(log(base, n));
      }
    }
    // A shallow clone: the graph ends at the boundary, and the history is git log's, as far as it reaches.
    const shallow = mkdtempSync(join(tmpdir(), "factory-git-shallow-"));
    execFileSync("git", ["clone", "-q", "--depth", "4", `file://${dir}`, shallow]);
    const shallowLog = execFileSync("git", ["-C", shallow, "log", "-n1000", "--no-merges", "--format=%H", "HEAD"], { encoding: "utf8" }).trim().split("\n");
    const fromShallow = await new LocalGitReader(join(shallow, ".git"), "HEAD").history(1000);
    expect(fromShallow.map((c) => c.sha)).toEqual(shallowLog);
  });
});
