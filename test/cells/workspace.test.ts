import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { botIdentity, cloneUrl, GitError, Workspace, type Identity } from "../../src/cells/workspace.js";

const BRANCH = "factory/1-x";
const TOKEN = "ghs_workspaceTestToken0123456789abcdef";
const TOKEN_BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const IDENTITY: Identity = botIdentity("software-factory[bot]", 4242);

const root = mkdtempSync(join(tmpdir(), "factory-workspace-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** git for the test's own setup: no user or system config, a fixed identity. */
function git(args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync("git", ["-c", "user.name=Test Person", "-c", "user.email=test@example.com", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LANG: "C.UTF-8", ...env },
    encoding: "utf8",
  }).trim();
}

let n = 0;
let bare: string;
let parent: string;
const workspaces: Workspace[] = [];

/** A fresh bare repository whose branch `factory/1-x` holds a seed commit. */
beforeEach(() => {
  n += 1;
  bare = join(root, `remote-${n}.git`);
  parent = join(root, `jobs-${n}`);
  mkdirSync(parent);
  git(["init", "--quiet", "--bare", bare], root);
  const seed = join(root, `seed-${n}`);
  git(["init", "--quiet", seed], root);
  mkdirSync(join(seed, "src"));
  writeFileSync(join(seed, "README.md"), "hello\n");
  writeFileSync(join(seed, "src", "a.txt"), "one\ntwo\nthree\n");
  writeFileSync(join(seed, "old.txt"), "x\ny\n");
  git(["add", "--all"], seed);
  git(["commit", "--quiet", "-m", "Seed"], seed);
  git(["push", "--quiet", bare, `HEAD:refs/heads/${BRANCH}`], seed);
});

afterEach(async () => {
  for (const ws of workspaces.splice(0)) await ws.remove();
});

async function clone(): Promise<Workspace> {
  const ws = await Workspace.clone({ url: bare, token: TOKEN, branch: BRANCH, identity: IDENTITY, parent });
  workspaces.push(ws);
  return ws;
}

const remoteHead = () => git(["rev-parse", `refs/heads/${BRANCH}`], bare);

/** git inside a workspace the way a harness would run it: the workspace's commit identity. */
const asHarness = (ws: Workspace, args: string[]) => git(args, ws.dir, ws.commitEnv());

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("Workspace.clone", () => {
  it("checks out the branch; baseSha is its head; the scratch directory is beside the clone, not in it", async () => {
    const ws = await clone();
    expect(ws.branch).toBe(BRANCH);
    expect(ws.baseSha).toBe(remoteHead());
    expect(git(["rev-parse", "--abbrev-ref", "HEAD"], ws.dir)).toBe(BRANCH);
    expect(git(["rev-parse", "HEAD"], ws.dir)).toBe(ws.baseSha);
    expect(readFileSync(join(ws.dir, "src", "a.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    expect(statSync(ws.scratch).isDirectory()).toBe(true);
    expect(ws.scratch.startsWith(`${ws.dir}/`)).toBe(false);
    expect(ws.root.startsWith(`${parent}/`)).toBe(true);
  });

  it("a branch that does not exist fails with a GitError and leaves no directory behind", async () => {
    const error = await Workspace.clone({ url: bare, token: TOKEN, branch: "factory/404-missing", identity: IDENTITY, parent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).args).toContain("clone");
    expect((error as GitError).message).toMatch(/^git clone failed: /);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("a GitError never carries token-shaped text from git's messages", async () => {
    const url = join(root, "missing", "ghp_abcdefABCDEF0123456789");
    const error = await Workspace.clone({ url, token: TOKEN, branch: BRANCH, identity: IDENTITY, parent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toContain("ghp_***");
    expect(`${(error as GitError).message} ${(error as GitError).stderr}`).not.toContain("ghp_abcdef");
  });
});

describe("commitLeftovers", () => {
  it("returns false and commits nothing when the tree is clean", async () => {
    const ws = await clone();
    expect(await ws.commitLeftovers("Nothing")).toBe(false);
    expect(git(["rev-parse", "HEAD"], ws.dir)).toBe(ws.baseSha);
    expect(await ws.newCommits()).toEqual([]);
  });

  it("commits modified, untracked (also in new directories) and deleted files as the bot", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "README.md"), "hello\nworld\n");
    mkdirSync(join(ws.dir, "new", "deep"), { recursive: true });
    writeFileSync(join(ws.dir, "new", "deep", "file.txt"), "new\n");
    unlinkSync(join(ws.dir, "old.txt"));
    expect(await ws.commitLeftovers("Leftovers\n\nbody text")).toBe(true);
    expect(git(["status", "--porcelain"], ws.dir)).toBe("");
    expect(git(["show", "--name-status", "--format=%an <%ae>|%cn <%ce>|%s", "HEAD"], ws.dir).split("\n").filter(Boolean)).toEqual([
      `${IDENTITY.name} <${IDENTITY.email}>|${IDENTITY.name} <${IDENTITY.email}>|Leftovers`,
      "M\tREADME.md",
      "A\tnew/deep/file.txt",
      "D\told.txt",
    ]);
  });

  it("runs no hook the harness left in the clone", async () => {
    const ws = await clone();
    const hook = join(ws.dir, ".git", "hooks", "pre-commit");
    writeFileSync(hook, "#!/bin/sh\nexit 1\n");
    chmodSync(hook, 0o755);
    writeFileSync(join(ws.dir, "x.txt"), "x\n");
    expect(await ws.commitLeftovers("Despite the hook")).toBe(true);
    expect(git(["log", "-1", "--format=%s"], ws.dir)).toBe("Despite the hook");
  });
});

describe("newCommits", () => {
  it("lists only the commits made after the clone, oldest first, with their subjects", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "one.txt"), "1\n");
    asHarness(ws, ["add", "one.txt"]);
    asHarness(ws, ["commit", "--quiet", "-m", "First by the harness\n\nbody"]);
    writeFileSync(join(ws.dir, "two.txt"), "2\n");
    asHarness(ws, ["add", "two.txt"]);
    asHarness(ws, ["commit", "--quiet", "-m", "Second\twith a tab"]);
    writeFileSync(join(ws.dir, "three.txt"), "3\n");
    await ws.commitLeftovers("Third: leftovers");

    const commits = await ws.newCommits();
    const shas = git(["rev-list", "--reverse", `${ws.baseSha}..HEAD`], ws.dir).split("\n");
    expect(commits).toEqual([
      { sha: shas[0], subject: "First by the harness" },
      { sha: shas[1], subject: "Second\twith a tab" },
      { sha: shas[2], subject: "Third: leftovers" },
    ]);
    expect(commits.map((c) => c.sha)).not.toContain(ws.baseSha);
  });

  it("does not count commits the remote already had", async () => {
    // A second seed commit on the branch before the clone.
    const other = join(root, `other-${n}`);
    git(["clone", "--quiet", "--branch", BRANCH, bare, other], root);
    writeFileSync(join(other, "earlier.txt"), "e\n");
    git(["add", "earlier.txt"], other);
    git(["commit", "--quiet", "-m", "Earlier"], other);
    git(["push", "--quiet", "origin", BRANCH], other);
    const ws = await clone();
    expect(await ws.newCommits()).toEqual([]);
  });
});

describe("diffStat", () => {
  it("counts changed files, inserted and deleted lines since the clone; a deleted file counts its lines; a binary file counts 0", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "src", "a.txt"), "one\nTWO\nthree\nfour\n"); // +2 -1
    unlinkSync(join(ws.dir, "old.txt")); // -2
    writeFileSync(join(ws.dir, "bin.dat"), Buffer.from([0, 1, 2, 0, 255, 0, 10, 0])); // binary: 0
    mkdirSync(join(ws.dir, "dir with space"));
    writeFileSync(join(ws.dir, "dir with space", "ü\tname.txt"), "a\n"); // +1, a path git would quote without -z
    await ws.commitLeftovers("Changes");
    const stat = await ws.diffStat();
    expect([...stat.files].sort()).toEqual(["bin.dat", "dir with space/ü\tname.txt", "old.txt", "src/a.txt"]);
    expect(stat.insertions).toBe(3);
    expect(stat.deletions).toBe(3);
  });

  it("spans several commits, and is empty with no commit", async () => {
    const ws = await clone();
    expect(await ws.diffStat()).toEqual({ files: [], insertions: 0, deletions: 0 });
    writeFileSync(join(ws.dir, "a.txt"), "1\n2\n");
    await ws.commitLeftovers("A");
    writeFileSync(join(ws.dir, "b.txt"), "1\n");
    await ws.commitLeftovers("B");
    expect(await ws.diffStat()).toEqual({ files: ["a.txt", "b.txt"], insertions: 3, deletions: 0 });
  });
});

describe("push", () => {
  it("updates the remote branch to the workspace's head", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "pushed.txt"), "p\n");
    await ws.commitLeftovers("Pushed");
    const head = git(["rev-parse", "HEAD"], ws.dir);
    await ws.push(TOKEN);
    expect(remoteHead()).toBe(head);
    expect(git(["log", "-1", "--format=%s", BRANCH], bare)).toBe("Pushed");
  });

  it("fails with a GitError, and does not force, when someone else pushed to the branch meanwhile", async () => {
    const ws = await clone();
    const other = join(root, `other-${n}`);
    git(["clone", "--quiet", "--branch", BRANCH, bare, other], root);
    writeFileSync(join(other, "theirs.txt"), "theirs\n");
    git(["add", "theirs.txt"], other);
    git(["commit", "--quiet", "-m", "Theirs"], other);
    git(["push", "--quiet", "origin", BRANCH], other);
    const theirs = remoteHead();

    writeFileSync(join(ws.dir, "ours.txt"), "ours\n");
    await ws.commitLeftovers("Ours");
    const error = await ws.push(TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).args).toContain("push");
    expect((error as GitError).message).toMatch(/^git push failed: /);
    expect(remoteHead()).toBe(theirs);
  });
});

describe("the token", () => {
  it("is nowhere under the workspace directory after clone, commit and push, nor in the remote's URL", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "change.txt"), "c\n");
    await ws.commitLeftovers("Change");
    await ws.push(TOKEN);
    const files = filesUnder(ws.root);
    expect(files).toContain(join(ws.dir, ".git", "config"));
    for (const file of files) {
      const text = readFileSync(file).toString("latin1");
      expect(text, file).not.toContain(TOKEN);
      expect(text, file).not.toContain(TOKEN_BASIC);
    }
    expect(git(["remote", "get-url", "origin"], ws.dir)).toBe(bare);
    expect(git(["config", "--list", "--local"], ws.dir)).not.toMatch(/extraheader|authorization/i);
  });

  it("is not in the environment a harness runs git with", async () => {
    const ws = await clone();
    const env = ws.commitEnv();
    expect(env).toEqual({
      GIT_AUTHOR_NAME: IDENTITY.name,
      GIT_AUTHOR_EMAIL: IDENTITY.email,
      GIT_COMMITTER_NAME: IDENTITY.name,
      GIT_COMMITTER_EMAIL: IDENTITY.email,
    });
  });

  // The harness controls the clone's `.git/`: a hook there must never run with the token in its
  // environment (GIT_CONFIG_VALUE_0), or it could send the token anywhere.
  it("does not reach a pre-push hook the harness left in the clone", async () => {
    const ws = await clone();
    const leak = join(root, `leak-${n}.txt`);
    const hook = join(ws.dir, ".git", "hooks", "pre-push");
    writeFileSync(hook, `#!/bin/sh\nenv > '${leak}'\n`);
    chmodSync(hook, 0o755);
    writeFileSync(join(ws.dir, "change.txt"), "c\n");
    await ws.commitLeftovers("Change");
    await ws.push(TOKEN).catch(() => undefined);
    const seen = existsSync(leak) ? readFileSync(leak, "utf8") : "";
    expect(seen).not.toContain(TOKEN_BASIC);
    expect(seen).not.toContain(TOKEN);
  });
});

describe("a clone the harness tampered with", () => {
  it("a url.insteadOf in the clone's config does not redirect the push", async () => {
    const ws = await clone();
    const elsewhere = join(root, `elsewhere-${n}.git`);
    git(["init", "--quiet", "--bare", elsewhere], root);
    git(["config", `url.${elsewhere}.insteadOf`, bare], ws.dir);
    writeFileSync(join(ws.dir, "change.txt"), "c\n");
    await ws.commitLeftovers("Change");
    await ws.push(TOKEN);
    expect(remoteHead()).toBe(git(["rev-parse", "HEAD"], ws.dir));
    expect(git(["for-each-ref", "--format=%(refname)"], elsewhere)).toBe("");
  });

  it("a core.fsmonitor command in the clone's config does not run when the factory commits and counts", async () => {
    const ws = await clone();
    const marker = join(root, `fsmonitor-${n}.txt`);
    const script = join(root, `fsmonitor-${n}.sh`);
    writeFileSync(script, `#!/bin/sh\necho ran >> '${marker}'\n`);
    chmodSync(script, 0o755);
    git(["config", "core.fsmonitor", script], ws.dir);
    writeFileSync(join(ws.dir, "change.txt"), "c\n");
    expect(await ws.commitLeftovers("Change")).toBe(true);
    await ws.newCommits();
    await ws.diffStat();
    expect(existsSync(marker)).toBe(false);
  });
});

describe("a tree the harness replaced with a link", () => {
  it("commits nothing in, and pushes nothing of, the host repository the link names", async () => {
    const ws = await clone();
    // A repository of the host's, with a commit of its own, and the job's tree swapped for a link to it.
    const host = join(root, `host-${n}`);
    git(["init", "--quiet", host], root);
    writeFileSync(join(host, "secret.txt"), "host only\n");
    git(["add", "--all"], host);
    git(["commit", "--quiet", "-m", "Host"], host);
    const hostHead = git(["rev-parse", "HEAD"], host);
    const hostConfig = readFileSync(join(host, ".git", "config"), "utf8");
    const before = remoteHead();
    renameSync(ws.dir, `${ws.dir}.gone`);
    symlinkSync(host, ws.dir);
    writeFileSync(join(host, "new.txt"), "n\n");

    await expect(ws.commitLeftovers("Change")).rejects.toThrow(/the tree is no longer the folder the factory made/);
    await expect(ws.push(TOKEN)).rejects.toThrow(/nothing is pushed/);
    expect(git(["rev-parse", "HEAD"], host)).toBe(hostHead);
    expect(readFileSync(join(host, ".git", "config"), "utf8")).toBe(hostConfig);
    expect(remoteHead()).toBe(before);
    unlinkSync(ws.dir);
    renameSync(`${ws.dir}.gone`, ws.dir);
  });
});

describe("checkout and remove", () => {
  it("checkout detaches at a commit of the branch", async () => {
    const ws = await clone();
    writeFileSync(join(ws.dir, "later.txt"), "l\n");
    await ws.commitLeftovers("Later");
    await ws.checkout(ws.baseSha);
    expect(git(["rev-parse", "HEAD"], ws.dir)).toBe(ws.baseSha);
    expect(git(["rev-parse", "--abbrev-ref", "HEAD"], ws.dir)).toBe("HEAD");
    expect(existsSync(join(ws.dir, "later.txt"))).toBe(false);
  });

  it("remove deletes the whole job directory, clone and scratch, and can run twice", async () => {
    const ws = await clone();
    writeFileSync(join(ws.scratch, "prompt.md"), "p");
    await ws.remove();
    expect(existsSync(ws.root)).toBe(false);
    expect(existsSync(ws.dir)).toBe(false);
    expect(existsSync(ws.scratch)).toBe(false);
    await expect(ws.remove()).resolves.toBeUndefined();
  });
});

describe("cloneUrl", () => {
  it("is github.com over https by default", () => {
    expect(cloneUrl({}, "octo", "widgets")).toBe("https://github.com/octo/widgets.git");
  });

  it("uses GHE_HOST, over https unless GHE_PROTOCOL says otherwise", () => {
    expect(cloneUrl({ GHE_HOST: "ghe.example.com" }, "octo", "widgets")).toBe("https://ghe.example.com/octo/widgets.git");
    expect(cloneUrl({ GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" }, "octo", "widgets")).toBe("http://127.0.0.1:8080/octo/widgets.git");
  });

  it("ignores GHE_PROTOCOL without GHE_HOST", () => {
    expect(cloneUrl({ GHE_PROTOCOL: "http" }, "octo", "widgets")).toBe("https://github.com/octo/widgets.git");
  });

  it("encodes the owner and the name, so neither can change the path", () => {
    expect(cloneUrl({}, "a b", "../x?y#z")).toBe("https://github.com/a%20b/..%2Fx%3Fy%23z.git");
  });
});

describe("botIdentity", () => {
  it("is the bot's login with GitHub's noreply address, prefixed by the bot's user id when known", () => {
    expect(botIdentity("software-factory[bot]", 4242)).toEqual({ name: "software-factory[bot]", email: "4242+software-factory[bot]@users.noreply.github.com" });
    expect(botIdentity("software-factory[bot]")).toEqual({ name: "software-factory[bot]", email: "software-factory[bot]@users.noreply.github.com" });
  });
});
