import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

export interface GitIdentity {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
}

/** A file changed between two commits, as the pulls, commits and compare APIs list it. */
export interface FileChange {
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  filename: string;
  previousFilename?: string;
  /** The blob at the head side (the base side's for a removed file). */
  sha: string;
  additions: number;
  deletions: number;
  /** The unified diff from the first `@@`; absent for binary files and pure renames. */
  patch?: string;
}

/** A tree entry to write: a blob by sha or content, a subtree by sha, or `sha: null` to delete the path. */
export interface TreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha?: string | null;
  content?: string;
}

const SHA = /^[0-9a-f]{40}$/;

export class GitRepo {
  /** The folder `git http-backend` serves: `<root>/<owner>/<repo>.git`. */
  readonly root: string;
  readonly dir: string;
  /** Every ref (without `refs/`) → its object, read once and kept until a ref moves. */
  private refCache: Map<string, string> | undefined;
  /** Answers about objects, which never change: a commit, a tree's listing, a file at a commit, a diff between two commits. */
  private readonly objects = new Map<string, unknown>();

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
    // GitHub refuses an app's push that creates or changes a workflow file unless its token has `workflows: write`
    // (the server passes the token's level in DOUBLE_WORKFLOWS); a person's push is not checked.
    mkdirSync(join(git.dir, "hooks"), { recursive: true });
    writeFileSync(join(git.dir, "hooks", "pre-receive"), WORKFLOWS_HOOK, { mode: 0o755 });
    const tree = git.writeTree(options.files);
    const sha = git.commitTree(tree, [], "Initial commit");
    git.run(["update-ref", `refs/heads/${options.defaultBranch}`, sha]);
    return git;
  }

  run(args: string[], input?: string, env: Record<string, string> = {}): string {
    return this.raw(args, input, env).trimEnd();
  }

  /** Refs moved outside this object (a push through `git http-backend`): read them again next time. */
  invalidateRefs(): void {
    this.refCache = undefined;
  }

  /** `compute()` once per key: for answers about objects, which never change. */
  private once<T>(key: string, compute: () => T): T {
    if (this.objects.has(key)) return this.objects.get(key) as T;
    const value = compute();
    this.objects.set(key, value);
    return value;
  }

  /** Output exactly as git wrote it: file contents keep their final newline. */
  private raw(args: string[], input?: string, env: Record<string, string> = {}): string {
    if (args[0] === "update-ref") this.refCache = undefined;
    return execFileSync("git", ["--git-dir", this.dir, ...args], {
      input,
      env: { ...process.env, ...IDENTITY, ...env, GIT_CONFIG_NOSYSTEM: "1", HOME: this.root },
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

  /** A commit of `tree`; `author` sets both author and committer (the sandbox identity by default). */
  commitTree(tree: string, parents: string[], message: string, author?: { name: string; email: string }): string {
    const who = author ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email } : {};
    return this.run(["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"], message, who);
  }

  /** Commits `files` on top of `branch` (changed paths only; the rest of the tree is kept). */
  commitFiles(branch: string, files: Record<string, string>, message: string, author?: { name: string; email: string }): string {
    const parent = this.refSha(`heads/${branch}`);
    const current = parent ? this.readAll(parent) : {};
    const tree = this.writeTree({ ...current, ...files });
    const sha = this.commitTree(tree, parent ? [parent] : [], message, author);
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
    // A branch names a commit: read from the cache. Anything else (a tag to peel) asks git.
    if (ref.startsWith("heads/")) return this.allRefs().get(ref);
    return this.tryRun(["rev-parse", "--verify", "--quiet", `refs/${ref}^{commit}`]);
  }

  refs(prefix = "refs/heads/"): Map<string, string> {
    const under = prefix.slice("refs/".length);
    return new Map([...this.allRefs()].filter(([name]) => name.startsWith(under)));
  }

  private allRefs(): Map<string, string> {
    if (!this.refCache) {
      const out = new Map<string, string>();
      const listing = this.run(["for-each-ref", "--format=%(refname) %(objectname)", "refs/"]);
      for (const line of listing.split("\n").filter(Boolean)) {
        const [name, sha] = line.split(" ");
        if (name && sha) out.set(name.slice("refs/".length), sha);
      }
      this.refCache = out;
    }
    return this.refCache;
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

  /** Moves `refs/<name>` to `sha`; with `from`, only if it still points there (git checks that atomically). */
  updateRef(name: string, sha: string, from?: string): boolean {
    try {
      this.run(["update-ref", `refs/${name}`, sha, ...(from ? [from] : [])]);
      return true;
    } catch {
      return false;
    }
  }

  deleteRef(name: string): void {
    this.run(["update-ref", "-d", `refs/${name}`]);
  }

  /** Every ref under `refs/` whose name (without `refs/`) starts with `prefix`, sorted by name. */
  matchingRefs(prefix: string): Array<{ name: string; sha: string }> {
    return [...this.refs("refs/")].filter(([name]) => name.startsWith(prefix)).map(([name, sha]) => ({ name, sha })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** True when `ancestor` is reachable from `descendant` (a fast-forward from one to the other). */
  isAncestor(ancestor: string, descendant: string): boolean {
    return this.tryRun(["merge-base", "--is-ancestor", ancestor, descendant]) !== undefined;
  }

  mergeBase(a: string, b: string): string | undefined {
    return this.tryRun(["merge-base", a, b]) || undefined;
  }

  /**
   * The tree of merging `theirs` into `ours` (three-way, in memory), or the
   * conflicting paths. With `base`, that commit is the merge base (a cherry-pick
   * of `theirs` when `base` is its parent): git 2.39's merge-tree has no
   * `--merge-base`, so the three trees are given a throwaway common history.
   */
  mergeTree(ours: string, theirs: string, base?: string): { tree: string } | { conflicts: string[] } {
    if (base) {
      const root = this.commitTree(this.commit(base).tree, [], "base");
      return this.mergeTree(this.commitTree(this.commit(ours).tree, [root], "ours"), this.commitTree(this.commit(theirs).tree, [root], "theirs"));
    }
    const args = ["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs];
    try {
      return { tree: this.run(args) };
    } catch (error) {
      const out = String((error as { stdout?: unknown }).stdout ?? "").trim().split("\n");
      if ((error as { status?: unknown }).status !== 1 || !out[0]) throw error;
      return { conflicts: out.slice(1).filter(Boolean) };
    }
  }

  writeBlob(bytes: Buffer): string {
    return execFileSync("git", ["--git-dir", this.dir, "hash-object", "-w", "--stdin"], { input: bytes, encoding: "utf8" }).trim();
  }

  hasBlob(sha: string): boolean {
    return this.typeOf(sha) === "blob";
  }

  /** An object's type, or undefined when there is none (an object that exists never goes away, so only that is kept). */
  private typeOf(sha: string): string | undefined {
    if (!SHA.test(sha)) return undefined;
    const key = `type ${sha}`;
    if (this.objects.has(key)) return this.objects.get(key) as string;
    const type = this.tryRun(["cat-file", "-t", sha]);
    if (type) this.objects.set(key, type);
    return type;
  }

  /**
   * A new tree: `base`'s entries (none without a base) with `entries` applied, as
   * `POST /git/trees` builds it. Returns the problem instead when an entry names an
   * object that does not exist.
   */
  buildTree(base: string | undefined, entries: readonly TreeEntry[]): { tree: string } | { problem: string } {
    const files = new Map<string, { mode: string; type: string; sha: string }>();
    if (base) for (const e of this.treeEntries(base)) files.set(e.path, e);
    for (const entry of entries) {
      const path = entry.path.replace(/^\/+|\/+$/g, "");
      const under = (p: string) => p === path || p.startsWith(`${path}/`);
      if (entry.sha === null) {
        for (const p of [...files.keys()]) if (under(p)) files.delete(p);
        continue;
      }
      const sha = entry.content !== undefined ? this.writeBlob(Buffer.from(entry.content, "utf8")) : entry.sha;
      if (!sha) return { problem: `Must supply either tree.sha or tree.content for ${path}` };
      if (entry.type === "tree") {
        if (!this.hasTree(sha)) return { problem: `tree.sha ${sha} is not a valid tree` };
        for (const p of [...files.keys()]) if (under(p)) files.delete(p);
        for (const e of this.treeEntries(sha)) files.set(`${path}/${e.path}`, e);
      } else {
        if (entry.type === "blob" && !this.hasBlob(sha)) return { problem: `tree.sha ${sha} is not a valid blob` };
        files.set(path, { mode: entry.mode, type: entry.type, sha });
      }
    }
    return { tree: this.writeEntries(files) };
  }

  /** Leaf entries (blobs and submodule commits) under a tree, with full paths. */
  private treeEntries(tree: string): Array<{ path: string; mode: string; type: string; sha: string }> {
    if (SHA.test(tree)) return this.once(`entries ${tree}`, () => this.readTreeEntries(tree));
    return this.readTreeEntries(tree);
  }

  private readTreeEntries(tree: string): Array<{ path: string; mode: string; type: string; sha: string }> {
    return this.raw(["ls-tree", "-r", "-z", tree])
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf("\t");
        const [mode = "", type = "", sha = ""] = line.slice(0, tab).split(" ");
        return { path: line.slice(tab + 1), mode, type, sha };
      });
  }

  private writeEntries(files: Map<string, { mode: string; type: string; sha: string }>): string {
    type Dir = { leaves: Map<string, { mode: string; type: string; sha: string }>; dirs: Map<string, Dir> };
    const top: Dir = { leaves: new Map(), dirs: new Map() };
    for (const [path, leaf] of files) {
      const parts = path.split("/");
      const name = parts.pop() as string;
      let dir = top;
      for (const part of parts) {
        let next = dir.dirs.get(part);
        if (!next) dir.dirs.set(part, (next = { leaves: new Map(), dirs: new Map() }));
        dir = next;
      }
      dir.leaves.set(name, leaf);
    }
    const write = (dir: Dir): string => {
      const lines = [
        ...[...dir.leaves].map(([name, e]) => `${e.mode} ${e.type} ${e.sha}\t${name}`),
        ...[...dir.dirs].map(([name, sub]) => `040000 tree ${write(sub)}\t${name}`),
      ];
      return this.run(["mktree", "-z"], lines.length ? `${lines.join("\0")}\0` : "");
    };
    return write(top);
  }

  /** Lines added and deleted, and files changed, from the merge base of `base` and `head` to `head`. */
  diffStat(base: string, head: string): { files: number; additions: number; deletions: number } {
    if (SHA.test(base) && SHA.test(head)) return this.once(`stat ${base} ${head}`, () => this.readDiffStat(base, head));
    return this.readDiffStat(base, head);
  }

  private readDiffStat(base: string, head: string): { files: number; additions: number; deletions: number } {
    const rows = this.raw(["diff", "--numstat", "-z", "-M", `${base}...${head}`]).split("\0").filter((row) => row.includes("\t"));
    let additions = 0;
    let deletions = 0;
    for (const row of rows) {
      const [add = "0", del = "0"] = row.split("\t");
      additions += Number(add) || 0;
      deletions += Number(del) || 0;
    }
    return { files: rows.length, additions, deletions };
  }

  /** How many commits `head` has that `base` has not. */
  countBetween(base: string, head: string): number {
    if (SHA.test(base) && SHA.test(head)) return this.once(`count ${base} ${head}`, () => Number(this.run(["rev-list", "--count", `${base}..${head}`])) || 0);
    return Number(this.run(["rev-list", "--count", `${base}..${head}`])) || 0;
  }

  /**
   * Files changed from `base` to `head`: against their merge base (three dots), as
   * a pull request's files are, or directly with `direct`. Renames are detected.
   */
  diffFiles(base: string, head: string, options: { direct?: boolean } = {}): FileChange[] {
    if (SHA.test(base) && SHA.test(head)) return structuredClone(this.once(`files ${base} ${head} ${options.direct === true}`, () => this.readDiffFiles(base, head, options)));
    return this.readDiffFiles(base, head, options);
  }

  private readDiffFiles(base: string, head: string, options: { direct?: boolean }): FileChange[] {
    const range = options.direct ? [base, head] : [`${base}...${head}`];
    const raw = this.raw(["diff", "--raw", "-z", "-M", "--no-abbrev", ...range]).split("\0");
    const stats = this.raw(["diff", "--numstat", "-z", "-M", ...range]).split("\0");
    const patches = splitPatches(this.raw(["-c", "core.quotePath=false", "diff", "-M", "--no-color", "--no-ext-diff", "--full-index", ...range]));
    const out: FileChange[] = [];
    for (let i = 0; i < raw.length - 1; ) {
      const meta = raw[i++] ?? "";
      const [, , oldSha = "", newSha = "", code = "M"] = meta.slice(1).split(" ");
      const letter = code[0] ?? "M";
      const first = raw[i++] ?? "";
      const second = letter === "R" || letter === "C" ? (raw[i++] ?? "") : undefined;
      const filename = second ?? first;
      const status = STATUS[letter] ?? "modified";
      const zero = /^0+$/;
      out.push({
        status,
        filename,
        ...(second !== undefined ? { previousFilename: first } : {}),
        sha: status === "removed" || zero.test(newSha) ? oldSha : newSha,
        additions: 0,
        deletions: 0,
        ...(patches.has(filename) ? { patch: patches.get(filename) as string } : {}),
      });
    }
    // numstat -z: "add\tdel\tpath" or, for a rename, "add\tdel\t" then old and new paths.
    for (let i = 0; i < stats.length - 1; ) {
      const [add = "0", del = "0", path = ""] = (stats[i++] ?? "").split("\t");
      const filename = path === "" ? (i++, stats[i++] ?? "") : path;
      const change = out.find((c) => c.filename === filename);
      if (change) {
        change.additions = Number(add) || 0;
        change.deletions = Number(del) || 0;
      }
    }
    return out;
  }

  hasCommit(sha: string): boolean {
    return this.typeOf(sha) === "commit";
  }

  hasTree(sha: string): boolean {
    return this.typeOf(sha) === "tree";
  }

  commit(sha: string): CommitInfo {
    if (SHA.test(sha)) return structuredClone(this.once(`commit ${sha}`, () => this.readCommit(sha)));
    return this.readCommit(sha);
  }

  private readCommit(sha: string): CommitInfo {
    const raw = this.run(["cat-file", "commit", sha]);
    const [header = "", ...body] = raw.split("\n\n");
    const lines = header.split("\n");
    return {
      sha,
      tree: lines.find((l) => l.startsWith("tree "))?.slice(5) ?? "",
      parents: lines.filter((l) => l.startsWith("parent ")).map((l) => l.slice(7)),
      message: body.join("\n\n"),
      author: identity(lines.find((l) => l.startsWith("author ")) ?? ""),
      committer: identity(lines.find((l) => l.startsWith("committer ")) ?? ""),
    };
  }

  /** Every blob under a tree, recursively: what `GET /git/trees/{sha}?recursive=1` lists. */
  listTree(tree: string): Array<{ path: string; mode: string; sha: string; size: number }> {
    if (SHA.test(tree)) return structuredClone(this.once(`tree ${tree}`, () => this.readListTree(tree)));
    return this.readListTree(tree);
  }

  private readListTree(tree: string): Array<{ path: string; mode: string; sha: string; size: number }> {
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
    if (this.typeOf(sha) !== "blob") return undefined;
    return Buffer.from(this.once(`blob ${sha}`, () => execFileSync("git", ["--git-dir", this.dir, "cat-file", "blob", sha], { maxBuffer: 64 * 1024 * 1024 })));
  }

  /** Commits reachable from `ref`, newest first. */
  log(ref: string, limit: number): CommitInfo[] {
    const list = this.tryRun(["rev-list", `--max-count=${limit}`, ref]) ?? "";
    return list.split("\n").filter(Boolean).map((sha) => this.commit(sha));
  }

  /** Commits reachable from `head` and not from `base`, oldest first. */
  commitsBetween(base: string, head: string): CommitInfo[] {
    const list = this.run(["rev-list", "--reverse", `${base}..${head}`]);
    return list.split("\n").filter(Boolean).map((sha) => this.commit(sha));
  }

  /** A file's text at a commit, or undefined. */
  readFile(commit: string, path: string): string | undefined {
    const read = () => {
      const type = this.tryRun(["cat-file", "-t", `${commit}:${path}`]);
      if (type !== "blob") return undefined;
      return this.raw(["cat-file", "blob", `${commit}:${path}`]);
    };
    return SHA.test(commit) ? this.once(`file ${commit} ${path}`, read) : read();
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

const STATUS: Record<string, FileChange["status"]> = { A: "added", D: "removed", R: "renamed", C: "copied", T: "changed", M: "modified" };

/** `author Name <email> 1700000000 +0000` → name, email and an ISO date. */
function identity(line: string): GitIdentity {
  const m = /^\w+ (.*) <([^>]*)> (\d+) [+-]\d{4}$/.exec(line);
  return { name: m?.[1] ?? "", email: m?.[2] ?? "", date: new Date(Number(m?.[3] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** A unified diff split per file (keyed by the new path), each from its first `@@`, as GitHub's `patch` fields are. */
function splitPatches(diff: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const chunk of diff.split(/^diff --git /m).slice(1)) {
    const hunk = chunk.search(/^@@/m);
    if (hunk < 0) continue;
    const header = chunk.slice(0, hunk);
    const path = /^\+\+\+ b\/(.*)$/m.exec(header)?.[1] ?? /^--- a\/(.*)$/m.exec(header)?.[1];
    if (path) out.set(path, chunk.slice(hunk).replace(/\n$/, ""));
  }
  return out;
}

const WORKFLOWS_HOOK = `#!/bin/sh
[ -z "$DOUBLE_WORKFLOWS" ] && exit 0
[ "$DOUBLE_WORKFLOWS" = "write" ] && exit 0
zero=0000000000000000000000000000000000000000
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  if [ "$old" = "$zero" ]; then files=$(git log --format= --name-only "$new" --not --all); else files=$(git diff --name-only "$old" "$new"); fi
  for f in $files; do
    case "$f" in
      .github/workflows/*) echo "refusing to allow a GitHub App to create or update workflow \\\`$f\\\` without \\\`workflows\\\` permission" >&2; exit 1 ;;
    esac
  done
done
exit 0
`;
