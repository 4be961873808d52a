import { execFile } from "node:child_process";
import { codeSpan } from "../line/text.js";
import { lstat, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Where the app's git server is: github.com, or the GHE host the app is configured for (the sandbox is one). */
export function cloneUrl(env: NodeJS.ProcessEnv, owner: string, repo: string): string {
  const host = env.GHE_HOST ? `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}` : "https://github.com";
  return `${host}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}.git`;
}

export interface Identity {
  name: string;
  email: string;
}

/** The bot's commit identity, as GitHub attributes commits to an app. */
export function botIdentity(botLogin: string, botId = 0): Identity {
  return { name: botLogin, email: `${botId ? `${botId}+` : ""}${botLogin}@users.noreply.github.com` };
}

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ""} failed: ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
    this.name = "GitError";
  }
}

/**
 * GitHub's refusal of an app's push that creates or edits a workflow file (an app may
 * only with the `workflows` permission), said for a person; undefined for any other
 * failure. Final whoever pushes: not worth a second try.
 */
export function workflowRefusal(error: unknown): string | undefined {
  const found = error instanceof GitError ? /workflow `?([^`\s]+)`? without `?workflows`? permission/i.exec(error.stderr) : null;
  if (!found) return undefined;
  return `GitHub refused the push: the change creates or edits ${codeSpan(found[1] ?? ".github/workflows/…", 200)}, and an app may change workflow files only with the \`workflows\` permission, which this app does not ask for. Nothing was pushed. Make that change by hand, or ask for the rest without it (\`/factory revise\`).`;
}

/**
 * A throwaway clone of one branch, for one job. The installation token reaches git
 * only through the environment of the clone and push commands (as an HTTP header
 * in `GIT_CONFIG_*`): it is never in an argv, a URL, the workspace's `.git/config`,
 * the harness's environment or a log line.
 */
export class Workspace {
  private constructor(
    readonly root: string,
    /** The clone: what the harness works in. */
    readonly dir: string,
    /** Beside the clone, for the prompt and the harness's report: never committed. */
    readonly scratch: string,
    readonly branch: string,
    /** The branch head when the job began. */
    readonly baseSha: string,
    private readonly url: string,
    private readonly identity: Identity,
  ) {}

  static async clone(options: { url: string; token: string; branch: string; identity: Identity; parent?: string | undefined }): Promise<Workspace> {
    const root = await mkdtemp(join(options.parent ?? tmpdir(), "factory-job-"));
    const dir = join(root, "work");
    const scratch = join(root, "scratch");
    try {
      await mkdir(scratch);
      await run(["clone", "--quiet", "--no-tags", "--single-branch", "--branch", options.branch, options.url, dir], root, authEnv(options.token));
      const { stdout } = await run(["rev-parse", "HEAD"], dir, baseEnv());
      return await new Workspace(root, dir, scratch, options.branch, stdout.trim(), options.url, options.identity).rememberConfig();
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * A throwaway checkout of one commit of a local repository (a replay's base): the
   * commit alone is fetched (`--depth 1`, as CI checks out), so nothing of the source
   * repository is linked into a tree a harness can write. There is no branch to push to.
   */
  static async atCommit(options: { gitDir: string; commit: string; identity: Identity; parent?: string | undefined }): Promise<Workspace> {
    const root = await mkdtemp(join(options.parent ?? tmpdir(), "factory-replay-"));
    const dir = join(root, "work");
    const scratch = join(root, "scratch");
    try {
      await mkdir(scratch);
      await run(["init", "--quiet", dir], root, baseEnv());
      await run([...SAFE, "fetch", "--quiet", "--depth", "1", "--no-tags", `file://${options.gitDir}`, options.commit], dir, baseEnv());
      await run([...SAFE, "checkout", "--quiet", "--detach", "FETCH_HEAD"], dir, baseEnv());
      const { stdout } = await run(["rev-parse", "HEAD"], dir, baseEnv());
      return await new Workspace(root, dir, scratch, "", stdout.trim(), "", options.identity).rememberConfig();
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
  }

  /** Writes files into the tree (a replay's judging tests), refusing any path that leaves it. */
  async writeTree(files: Record<string, string>): Promise<void> {
    await this.assertOwnTree("nothing is written");
    for (const [path, content] of Object.entries(files)) {
      const target = join(this.dir, path);
      if (path.startsWith("/") || !target.startsWith(`${this.dir}/`) || path.split("/").includes(".git")) throw new Error(`refusing to write ${JSON.stringify(path)}: not a path inside the tree`);
      // A harness may have left links on the way (a folder linked to one of the host's): each is replaced, never followed.
      let at = this.dir;
      for (const part of relative(this.dir, dirname(target)).split("/").filter(Boolean)) {
        at = join(at, part);
        const stat = await lstat(at).catch(() => undefined);
        if (stat?.isDirectory()) continue;
        if (stat) await rm(at, { force: true, recursive: true });
        await mkdir(at);
      }
      await rm(target, { force: true, recursive: true });
      await writeFile(target, content);
    }
  }

  /** Detaches at a commit of the branch (the one a verifier job was asked about). */
  async checkout(sha: string): Promise<void> {
    await this.git(["checkout", "--quiet", "--detach", sha]);
  }

  /** A job's workspace: the artifact branch of the job's repository, committing as the app's bot. */
  static forJob(input: { env: NodeJS.ProcessEnv; owner: string; repo: string; branch: string; botLogin: string; token: string; parent?: string | undefined }): Promise<Workspace> {
    return Workspace.clone({ url: cloneUrl(input.env, input.owner, input.repo), token: input.token, branch: input.branch, identity: botIdentity(input.botLogin), parent: input.parent });
  }

  /** Environment for the harness: who commits, and nothing that authenticates. */
  commitEnv(): Record<string, string> {
    return {
      GIT_AUTHOR_NAME: this.identity.name,
      GIT_AUTHOR_EMAIL: this.identity.email,
      GIT_COMMITTER_NAME: this.identity.name,
      GIT_COMMITTER_EMAIL: this.identity.email,
    };
  }

  /** Commits whatever the harness left uncommitted; false when there was nothing. */
  async commitLeftovers(message: string): Promise<boolean> {
    const { stdout } = await this.git(["status", "--porcelain"]);
    if (!stdout.trim()) return false;
    await this.git(["add", "--all"]);
    await this.git(["commit", "--quiet", "--no-verify", "-m", message]);
    return true;
  }

  /** Commits since the job began, oldest first. */
  async newCommits(): Promise<Array<{ sha: string; subject: string }>> {
    const { stdout } = await this.git(["log", "--reverse", "--format=%H%x09%s", `${this.baseSha}..HEAD`]);
    return stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [sha = "", ...rest] = line.split("\t");
        return { sha, subject: rest.join("\t") };
      });
  }

  /** Files changed since the job began, with added and deleted lines (binary files count 0). */
  async diffStat(): Promise<{ files: string[]; insertions: number; deletions: number }> {
    const { stdout } = await this.git(["diff", "--no-ext-diff", "--no-textconv", "--numstat", "-z", "--no-renames", this.baseSha, "HEAD"]);
    const files: string[] = [];
    let insertions = 0;
    let deletions = 0;
    for (const entry of stdout.split("\0").filter(Boolean)) {
      const [added = "0", deleted = "0", ...path] = entry.split("\t");
      files.push(path.join("\t"));
      insertions += Number(added) || 0;
      deletions += Number(deleted) || 0;
    }
    return { files, insertions, deletions };
  }

  /**
   * Pushes HEAD to the branch; fails (never forces) when the branch moved meanwhile.
   * The harness controlled the clone, its hooks and its `.git/config` (a proxy, a
   * hook, a credential helper), so the token never goes near it: the commits are
   * fetched into a fresh bare repository whose configuration is the factory's, and
   * pushed from there.
   */
  async push(token: string): Promise<void> {
    await this.assertOwnTree("nothing is pushed");
    const clean = join(this.scratch, "push.git");
    await run(["init", "--quiet", "--bare", clean], this.root, baseEnv());
    await run([...SAFE, "fetch", "--quiet", "--no-tags", this.dir, `+HEAD:refs/heads/${this.branch}`], clean, baseEnv());
    await run([...SAFE, "push", "--quiet", this.url, `refs/heads/${this.branch}:refs/heads/${this.branch}`], clean, authEnv(token));
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  /**
   * Pushes the commits a runner elsewhere made (a git bundle an Actions run uploaded)
   * onto `branch`, with the app's token, so that GitHub starts CI on them (a
   * workflow's own token starts none). Nothing of the bundle is checked out or run:
   * its commits are fetched into a bare repository beside the branch, must end at
   * `head`, and must follow the branch as it is (a fast-forward; never forced).
   */
  static async publishBundle(input: { url: string; token: string; branch: string; bundle: Buffer; head: string; parent?: string | undefined }): Promise<void> {
    const root = await mkdtemp(join(input.parent ?? tmpdir(), "factory-publish-"));
    try {
      const repo = join(root, "publish.git");
      const file = join(root, "commits.bundle");
      await writeFile(file, input.bundle);
      await run(["init", "--quiet", "--bare", repo], root, baseEnv());
      await run([...SAFE, "fetch", "--quiet", "--no-tags", input.url, `+refs/heads/${input.branch}:refs/heads/${input.branch}`], repo, authEnv(input.token));
      await run([...SAFE, "bundle", "verify", "--quiet", file], repo, baseEnv());
      await run([...SAFE, "fetch", "--quiet", "--no-tags", file, "+HEAD:refs/factory/incoming"], repo, baseEnv());
      const { stdout } = await run(["rev-parse", "refs/factory/incoming"], repo, baseEnv());
      if (stdout.trim() !== input.head) throw new GitError(["bundle"], `the bundle ends at ${stdout.trim().slice(0, 12)}, not at ${input.head.slice(0, 12)} as the run reported`);
      await run([...SAFE, "merge-base", "--is-ancestor", `refs/heads/${input.branch}`, "refs/factory/incoming"], repo, baseEnv()).catch(() => {
        throw new GitError(["bundle"], `the commits do not follow ${input.branch} as it is now (it moved, or they were made elsewhere)`);
      });
      await run([...SAFE, "push", "--quiet", input.url, `refs/factory/incoming:refs/heads/${input.branch}`], repo, authEnv(input.token));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  /**
   * The tree must still be the folder the factory made, not a link the harness (which can
   * write in the job's root) put in its place: every git call, the push and a tree write
   * would otherwise act on whatever host folder the link names.
   */
  private async assertOwnTree(consequence: string): Promise<void> {
    const self = await lstat(this.dir).catch(() => undefined);
    const real = self?.isDirectory() ? await realpath(this.dir).catch(() => undefined) : undefined;
    if (real !== join(await realpath(this.root), "work")) throw new GitError([], `the tree is no longer the folder the factory made (the harness replaced it); ${consequence}`);
  }

  /** The clone's `.git/config` as the factory wrote it, before any harness ran. */
  private gitConfig: string | undefined;

  /**
   * git in the clone the harness worked in: its hooks and command-running settings
   * switched off, and first the clone's `.git` checked (a real folder, not a link or a
   * `gitdir:` file the harness left) and its config put back as the factory wrote it,
   * so nothing the harness configured (a filter driver, a signing program, an alias)
   * runs outside the box when the factory commits.
   */
  private async git(args: string[]) {
    await this.assertOwnTree("nothing is committed or pushed");
    const gitDir = join(this.dir, ".git");
    const stat = await lstat(gitDir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new GitError(args, "the clone's .git is no longer a folder (the harness replaced it); nothing is committed or pushed");
    this.gitConfig ??= await readFile(join(gitDir, "config"), "utf8");
    await rm(join(gitDir, "config"), { force: true, recursive: true });
    await writeFile(join(gitDir, "config"), this.gitConfig);
    return run([...SAFE, ...args], this.dir, { ...baseEnv(), ...this.commitEnv() });
  }

  /** Remembers the clone's config before a harness runs (the clone and checkout wrote it). */
  private async rememberConfig(): Promise<this> {
    this.gitConfig = await readFile(join(this.dir, ".git", "config"), "utf8");
    return this;
  }
}

/** Settings a repository's own config could use to run commands inside the factory's git calls, switched off. */
const SAFE = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "diff.external=", "-c", "core.sshCommand=false", "-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"];

/** git without the user's or the system's configuration, hooks or prompts. */
function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C.UTF-8",
  };
}

function authEnv(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return { ...baseEnv(), GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

async function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec("git", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
    // The header never appears in git's messages, but be certain no token-shaped text leaves here.
    let i = 0;
    while (args[i] === "-c") i += 2;
    throw new GitError(args.slice(i), stderr.replace(/(gh[pousr]_|Basic )[A-Za-z0-9+/=_-]+/g, "$1***"));
  }
}
