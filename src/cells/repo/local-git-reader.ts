import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { HistoryCommit, RepoFile, RepoReader } from "../../ports/repo-reader.js";

const run = promisify(execFile);

/** Blob contents by sha: identical files at different commits are read once per process. */
/** Blob contents by sha, shared by readers; `text` is absent for a binary blob, or one larger than the reader that fetched it allowed. */
const blobCache = new Map<string, { text?: string; binary?: boolean; size: number }>();
const BLOB_CACHE_LIMIT = 200_000;

/**
 * Reads a local git repository (a clone or a bare mirror) at one commit with
 * git's plumbing: the tree, blob contents in one `cat-file --batch`, and history.
 * Nothing newer than the commit is visible.
 */
export class LocalGitReader implements RepoReader {
  private shas: Map<string, string> | undefined;

  constructor(
    private readonly gitDir: string,
    private readonly commit: string,
    private readonly maxFileBytes = 512 * 1024,
  ) {}

  private git(args: string[]): Promise<string> {
    return run("git", ["--git-dir", this.gitDir, ...args], { maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }).then((r) => r.stdout);
  }

  async listFiles(): Promise<RepoFile[]> {
    const out = await this.git(["ls-tree", "-r", "-z", "--long", this.commit]);
    const files: RepoFile[] = [];
    this.shas = new Map();
    for (const entry of out.split("\0")) {
      const tab = entry.indexOf("\t");
      if (tab < 0) continue;
      const [mode, type, sha, size] = entry.slice(0, tab).split(/\s+/);
      if (type !== "blob" || mode === "120000" || !sha) continue;
      const path = entry.slice(tab + 1);
      this.shas.set(path, sha);
      files.push({ path, size: Number(size) || 0 });
    }
    return files;
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, string>> {
    if (!this.shas) await this.listFiles();
    const shas = this.shas as Map<string, string>;
    const out = new Map<string, string>();
    const wanted: string[] = [];
    // The cache is shared by readers with different size limits: each applies its own.
    const usable = (sha: string) => {
      const entry = blobCache.get(sha);
      if (!entry || entry.binary || entry.size > this.maxFileBytes) return { text: undefined, fetch: entry === undefined || (!entry.binary && entry.size <= this.maxFileBytes) };
      return entry.text === undefined ? { text: undefined, fetch: true } : { text: entry.text, fetch: false };
    };
    for (const path of paths) {
      const sha = shas.get(path);
      if (!sha) continue;
      const { text, fetch } = usable(sha);
      if (text !== undefined) out.set(path, text);
      else if (fetch) wanted.push(sha);
    }
    if (wanted.length) await this.catFiles([...new Set(wanted)]);
    for (const path of paths) {
      const text = usable(shas.get(path) ?? "").text;
      if (text !== undefined) out.set(path, text);
    }
    return out;
  }

  private catFiles(shas: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("git", ["--git-dir", this.gitDir, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "ignore"] });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.on("error", reject);
      child.on("close", () => {
        const buffer = Buffer.concat(chunks);
        let at = 0;
        while (at < buffer.length) {
          const newline = buffer.indexOf(10, at);
          if (newline < 0) break;
          const [sha = "", , sizeText] = buffer.subarray(at, newline).toString().split(" ");
          const size = Number(sizeText);
          if (!Number.isFinite(size)) {
            at = newline + 1;
            continue;
          }
          const content = buffer.subarray(newline + 1, newline + 1 + size);
          at = newline + 1 + size + 1;
          if (blobCache.size > BLOB_CACHE_LIMIT) blobCache.clear();
          const binary = content.includes(0);
          blobCache.set(sha, binary ? { binary, size } : size > this.maxFileBytes ? { size } : { text: content.toString("utf8"), size });
        }
        resolve();
      });
      child.stdin.end(`${shas.join("\n")}\n`);
    });
  }

  /**
   * History is a hint, not a requirement: a shallow or partial clone ends it early,
   * and the scout keeps what git could read before the gap. The commit graph is read
   * once per repository and kept: the history at another base (the next case, the
   * next job on the same clone) is a walk in memory, with git asked again only for
   * commits it has not seen.
   */
  async history(limit: number): Promise<HistoryCommit[]> {
    const sha = /^[0-9a-f]{40}$/.test(this.commit) ? this.commit : (await this.git(["rev-parse", "--verify", "--end-of-options", `${this.commit}^{commit}`]).catch(() => "")).trim();
    if (!sha) return [];
    // A shallow clone's graph would go stale when it is deepened: git log reads it each time (its history is short).
    if (existsSync(join(this.gitDir, "shallow"))) return this.logHistory(limit);
    const graph = graphs.get(this.gitDir) ?? new Map<string, GraphCommit>();
    graphs.set(this.gitDir, graph);
    if (!graph.has(sha)) await loadGraph(this.gitDir, sha, graph);
    // Where the graph ends before this history does (a shallow or partial clone, a load cut short), git log reads it, as far as it can.
    return walkHistory(graph, sha, limit) ?? this.logHistory(limit);
  }

  private async logHistory(limit: number): Promise<HistoryCommit[]> {
    let out: string;
    let complete = true;
    try {
      out = await this.git(["-c", "core.quotePath=false", "log", `-n${limit}`, "--no-merges", "--format=%x1e%H%x1f%B%x1f", "--name-only", "--end-of-options", this.commit]);
    } catch (error) {
      out = String((error as { stdout?: unknown }).stdout ?? "");
      complete = false;
    }
    const records = out.split("\x1e");
    if (!complete) records.pop();
    const commits: HistoryCommit[] = [];
    for (const record of records) {
      const [sha, message, files] = record.split("\x1f");
      if (!sha || message === undefined) continue;
      commits.push({ sha: sha.trim(), message: message.trim(), files: (files ?? "").split("\n").map((f) => f.trim()).filter(Boolean) });
    }
    return commits;
  }
}

interface GraphCommit {
  parents: string[];
  time: number;
  message: string;
  files: string[];
}

const SHA = /^[0-9a-f]{40}$/;

/** Each repository's commits as read so far (by git directory), bounded. */
const graphs = new Map<string, Map<string, GraphCommit>>();
const GRAPH_LIMIT = 400_000;

/** Reads every commit reachable from `sha` that the graph lacks (`git log` stops where the clone does). */
async function loadGraph(gitDir: string, sha: string, graph: Map<string, GraphCommit>): Promise<void> {
  // The graph's tips (commits no other read commit has as parent): excluding them excludes everything read before.
  const parents = new Set<string>();
  for (const commit of graph.values()) for (const parent of commit.parents) parents.add(parent);
  const tips = [...graph.keys()].filter((k) => !parents.has(k)).slice(0, 1000);
  let out: string;
  let complete = true;
  try {
    // core.quotePath off: non-ASCII paths as listFiles names them, not C-quoted. Commits already read are left out.
    const args = ["--git-dir", gitDir, "-c", "core.quotePath=false", "log", "--format=%x1e%H%x1f%P%x1f%ct%x1f%B%x1f", "--name-only", "--end-of-options", sha];
    const { stdout } = await run("git", [...args, ...tips.map((k) => `^${k}`)], { maxBuffer: 1024 * 1024 * 1024, encoding: "utf8" });
    out = stdout;
  } catch (error) {
    out = String((error as { stdout?: unknown }).stdout ?? "");
    complete = false;
  }
  const records = out.split("\x1e");
  if (!complete) records.pop();
  if (graph.size > GRAPH_LIMIT) graph.clear();
  for (const record of records) {
    const [commit, parents, time, message, files] = record.split("\x1f");
    // A commit message can hold the separators: a record whose ids are not ids is someone's text, not a commit.
    const parentIds = (parents ?? "").trim().split(" ").filter(Boolean);
    if (!commit || message === undefined || !SHA.test(commit.trim()) || !parentIds.every((p) => SHA.test(p))) continue;
    graph.set(commit.trim(), {
      parents: parentIds,
      time: Number(time) || 0,
      message: message.trim(),
      files: (files ?? "").split("\n").map((f) => f.trim()).filter(Boolean),
    });
  }
}

/**
 * `git log -n<limit> --no-merges <sha>` from memory: ancestors newest first by commit
 * time, merges skipped; undefined when it reaches a commit the graph does not have.
 */
function walkHistory(graph: ReadonlyMap<string, GraphCommit>, sha: string, limit: number): HistoryCommit[] | undefined {
  const out: HistoryCommit[] = [];
  const seen = new Set([sha]);
  const queue: string[] = [sha];
  while (queue.length && out.length < limit) {
    // The newest waiting commit next, as git log orders them (a short queue: most histories are nearly linear).
    let best = 0;
    for (let i = 1; i < queue.length; i++) if ((graph.get(queue[i] as string)?.time ?? 0) > (graph.get(queue[best] as string)?.time ?? 0)) best = i;
    const [next] = queue.splice(best, 1) as [string];
    const commit = graph.get(next);
    if (!commit) return undefined;
    if (commit.parents.length <= 1) out.push({ sha: next, message: commit.message, files: commit.files });
    for (const parent of commit.parents) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return out;
}

/** A past commit as calibration mines it: its parent (the tree a scout would have searched) and each file's change. */
export interface PastChange {
  sha: string;
  parent: string;
  message: string;
  files: Array<{ status: string; path: string }>;
}

/** The `limit` newest non-merge commits reachable from `commit` (itself included), with their parents and changed files. */
export async function pastChanges(gitDir: string, commit: string, limit: number): Promise<PastChange[]> {
  const { stdout } = await run("git", ["--git-dir", gitDir, "-c", "core.quotePath=false", "log", `-n${limit}`, "--no-merges", "--no-renames", "--format=%x1e%H%x1f%P%x1f%B%x1f", "--name-status", "--end-of-options", commit], {
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  const changes: PastChange[] = [];
  for (const record of stdout.split("\x1e")) {
    const [sha, parents, message, files] = record.split("\x1f");
    const parent = parents?.trim().split(" ")[0];
    if (!sha || !parent || message === undefined || !SHA.test(sha.trim()) || !SHA.test(parent)) continue;
    const changed = (files ?? "")
      .split("\n")
      .map((line) => line.split("\t"))
      .filter((parts): parts is [string, string] => parts.length === 2 && Boolean(parts[0]) && Boolean(parts[1]))
      .map(([status, path]) => ({ status: status.trim(), path: path.trim() }));
    changes.push({ sha: sha.trim(), parent, message: message.trim(), files: changed });
  }
  return changes;
}
