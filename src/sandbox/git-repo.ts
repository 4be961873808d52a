import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real bare git repository on disk, driven with git's plumbing, so the double's
 * Git Data API, contents and branches are exactly what `git clone` sees.
 */

const IDENTITY = {
  GIT_AUTHOR_NAME: "Sandbox",
  GIT_AUTHOR_EMAIL: "sandbox@example.invalid",
  GIT_COMMITTER_NAME: "Sandbox",
  GIT_COMMITTER_EMAIL: "sandbox@example.invalid",
};

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
}

export class GitRepo {
  /** The folder `git http-backend` serves: `<root>/<owner>/<repo>.git`. */
  readonly root: string;
  readonly dir: string;

  private constructor(root: string, owner: string, repo: string) {
    this.root = root;
    this.dir = join(root, owner, `${repo}.git`);
  }

  /** A new bare repository whose default branch holds `files` in one commit. */
  static create(options: { owner: string; repo: string; defaultBranch: string; files: Record<string, string> }): GitRepo {
    const root = mkdtempSync(join(tmpdir(), "factory-sandbox-"));
    const git = new GitRepo(root, options.owner, options.repo);
    mkdirSync(git.dir, { recursive: true });
    git.run(["init", "--quiet", "--bare", `--initial-branch=${options.defaultBranch}`]);
    git.run(["config", "http.receivepack", "true"]);
    const tree = git.writeTree(options.files);
    const sha = git.commitTree(tree, [], "Initial commit");
    git.run(["update-ref", `refs/heads/${options.defaultBranch}`, sha]);
    return git;
  }

  run(args: string[], input?: string): string {
    return this.raw(args, input).trimEnd();
  }

  /** Output exactly as git wrote it: file contents keep their final newline. */
  private raw(args: string[], input?: string): string {
    return execFileSync("git", ["--git-dir", this.dir, ...args], {
      input,
      env: { ...process.env, ...IDENTITY, GIT_CONFIG_NOSYSTEM: "1", HOME: this.root },
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  private tryRun(args: string[]): string | undefined {
    try {
      return this.run(args);
    } catch {
      return undefined;
    }
  }

  /** A tree holding `files` (paths with `/` become nested trees). */
  writeTree(files: Record<string, string>): string {
    type Dir = { files: Map<string, string>; dirs: Map<string, Dir> };
    const top: Dir = { files: new Map(), dirs: new Map() };
    for (const [path, content] of Object.entries(files)) {
      const parts = path.split("/");
      const name = parts.pop() as string;
      let dir = top;
      for (const part of parts) {
        let next = dir.dirs.get(part);
        if (!next) dir.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
        dir = next;
      }
      dir.files.set(name, this.run(["hash-object", "-w", "--stdin"], content));
    }
    const write = (dir: Dir): string => {
      const lines = [
        ...[...dir.files].map(([name, blob]) => `100644 blob ${blob}\t${name}`),
        ...[...dir.dirs].map(([name, sub]) => `040000 tree ${write(sub)}\t${name}`),
      ];
      return this.run(["mktree"], lines.length ? `${lines.join("\n")}\n` : "");
    };
    return write(top);
  }

  commitTree(tree: string, parents: string[], message: string): string {
    return this.run(["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message]);
  }

  /** Commits `files` on top of `branch` (changed paths only; the rest of the tree is kept). */
  commitFiles(branch: string, files: Record<string, string>, message: string): string {
    const parent = this.refSha(`heads/${branch}`);
    const current = parent ? this.readAll(parent) : {};
    const tree = this.writeTree({ ...current, ...files });
    const sha = this.commitTree(tree, parent ? [parent] : [], message);
    this.run(["update-ref", `refs/heads/${branch}`, sha, ...(parent ? [parent] : [])]);
    return sha;
  }

  /** Every file at a commit, as text. */
  readAll(commit: string): Record<string, string> {
    const out: Record<string, string> = {};
    const listing = this.raw(["ls-tree", "-r", "-z", "--full-tree", commit]);
    for (const entry of listing.split("\0").filter(Boolean)) {
      const [meta, path] = entry.split("\t");
      const blob = meta?.split(" ")[2];
      if (path && blob) out[path] = this.raw(["cat-file", "blob", blob]);
    }
    return out;
  }

  refSha(ref: string): string | undefined {
    return this.tryRun(["rev-parse", "--verify", "--quiet", `refs/${ref}^{commit}`]);
  }

  refs(prefix = "refs/heads/"): Map<string, string> {
    const out = new Map<string, string>();
    const listing = this.run(["for-each-ref", "--format=%(refname) %(objectname)", prefix]);
    for (const line of listing.split("\n").filter(Boolean)) {
      const [name, sha] = line.split(" ");
      if (name && sha) out.set(name.slice("refs/".length), sha);
    }
    return out;
  }

  /** Creates `refs/<name>` only if it does not exist: git checks that atomically. */
  createRef(name: string, sha: string): "created" | "exists" {
    if (this.refSha(name)) return "exists";
    try {
      this.run(["update-ref", `refs/${name}`, sha, "0".repeat(40)]);
      return "created";
    } catch {
      return "exists";
    }
  }

  updateRef(name: string, sha: string): void {
    this.run(["update-ref", `refs/${name}`, sha]);
  }

  deleteRef(name: string): void {
    this.run(["update-ref", "-d", `refs/${name}`]);
  }

  hasCommit(sha: string): boolean {
    return /^[0-9a-f]{40}$/.test(sha) && this.tryRun(["cat-file", "-e", `${sha}^{commit}`]) !== undefined;
  }

  hasTree(sha: string): boolean {
    return /^[0-9a-f]{40}$/.test(sha) && this.tryRun(["cat-file", "-e", `${sha}^{tree}`]) !== undefined;
  }

  commit(sha: string): CommitInfo {
    const raw = this.run(["cat-file", "commit", sha]);
    const [header = "", ...body] = raw.split("\n\n");
    const lines = header.split("\n");
    return {
      sha,
      tree: lines.find((l) => l.startsWith("tree "))?.slice(5) ?? "",
      parents: lines.filter((l) => l.startsWith("parent ")).map((l) => l.slice(7)),
      message: body.join("\n\n"),
    };
  }

  /** Every blob under a tree, recursively: what `GET /git/trees/{sha}?recursive=1` lists. */
  listTree(tree: string): Array<{ path: string; mode: string; sha: string; size: number }> {
    const out: Array<{ path: string; mode: string; sha: string; size: number }> = [];
    for (const entry of this.raw(["ls-tree", "-r", "-z", "--long", tree]).split("\0").filter(Boolean)) {
      const tab = entry.indexOf("\t");
      const [mode = "", type = "", sha = "", size = "0"] = entry.slice(0, tab).split(/\s+/);
      if (type === "blob") out.push({ path: entry.slice(tab + 1), mode, sha, size: Number(size) || 0 });
    }
    return out;
  }

  /** A blob's bytes, or undefined when there is no such blob. */
  blob(sha: string): Buffer | undefined {
    if (!/^[0-9a-f]{40}$/.test(sha) || this.tryRun(["cat-file", "-t", sha]) !== "blob") return undefined;
    return execFileSync("git", ["--git-dir", this.dir, "cat-file", "blob", sha], { maxBuffer: 64 * 1024 * 1024 });
  }

  /** Commits reachable from `ref`, newest first. */
  log(ref: string, limit: number): CommitInfo[] {
    const list = this.tryRun(["rev-list", `--max-count=${limit}`, ref]) ?? "";
    return list.split("\n").filter(Boolean).map((sha) => this.commit(sha));
  }

  /** The files a commit changed against its first parent (all of them for a root commit). */
  changedFiles(sha: string): string[] {
    const info = this.commit(sha);
    const parent = info.parents[0];
    if (!parent) return this.listTree(info.tree).map((f) => f.path);
    return this.run(["diff", "--name-only", parent, sha]).split("\n").filter(Boolean);
  }

  /** Commits reachable from `head` and not from `base`, oldest first. */
  commitsBetween(base: string, head: string): CommitInfo[] {
    const list = this.run(["rev-list", "--reverse", `${base}..${head}`]);
    return list.split("\n").filter(Boolean).map((sha) => this.commit(sha));
  }

  /** A file's text at a commit, or undefined. */
  readFile(commit: string, path: string): string | undefined {
    const type = this.tryRun(["cat-file", "-t", `${commit}:${path}`]);
    if (type !== "blob") return undefined;
    return this.raw(["cat-file", "blob", `${commit}:${path}`]);
  }

  /** Files changed between two commits: `[{ status, path }]`. */
  diffNames(base: string, head: string): Array<{ status: string; path: string; additions: number; deletions: number }> {
    const stats = this.raw(["diff", "--numstat", "-z", `${base}...${head}`]);
    const statuses = this.raw(["diff", "--name-status", "-z", `${base}...${head}`]).split("\0").filter(Boolean);
    const byPath = new Map<string, string>();
    for (let i = 0; i + 1 < statuses.length; i += 2) byPath.set(statuses[i + 1] ?? "", statuses[i] ?? "M");
    return stats
      .split("\0")
      .filter(Boolean)
      .map((entry) => {
        const [add = "0", del = "0", path = ""] = entry.split("\t");
        return { status: byPath.get(path) ?? "M", path, additions: Number(add) || 0, deletions: Number(del) || 0 };
      });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
