import type { HistoryCommit, RepoFile, RepoReader } from "../ports/repo-reader.js";
import type { RepoPort } from "./repo-port.js";

export interface ReadBudget {
  /** GitHub requests this reader may make. */
  requests: number;
  /** Bytes of file contents it may read. */
  bytesRead: number;
}

/**
 * Reads a repository on GitHub at one commit: one recursive tree call, then blobs
 * on demand (the port caches them by sha, so a second scout on the same code costs nothing),
 * within a request and byte budget. Commit messages come in one call; the files of
 * a commit only when asked.
 */
export class GitHubReader implements RepoReader {
  private shas = new Map<string, string>();
  requests = 0;
  bytes = 0;
  truncated = false;

  constructor(
    private readonly port: RepoPort,
    private readonly commit: string,
    private readonly budget: ReadBudget,
  ) {}

  private spend(): boolean {
    if (this.requests >= this.budget.requests) return false;
    this.requests++;
    return true;
  }

  async listFiles(): Promise<RepoFile[]> {
    if (!this.spend()) return [];
    const { files, truncated } = await this.port.tree(this.commit);
    this.truncated = truncated;
    this.shas = new Map(files.map((f) => [f.path, f.sha]));
    return files.map((f) => ({ path: f.path, size: f.size }));
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const path of paths) {
      const sha = this.shas.get(path);
      if (!sha) continue;
      if (!this.port.hasBlob(sha) && (this.bytes >= this.budget.bytesRead || !this.spend())) break;
      const { text, fetched } = await this.port.blob(sha);
      if (fetched) this.bytes += text.length;
      if (!text.includes("\u0000")) out.set(path, text);
    }
    return out;
  }

  async history(limit: number): Promise<HistoryCommit[]> {
    if (!this.spend()) return [];
    const commits = await this.port.commitMessages(this.commit, limit);
    return commits.map((c) => ({ sha: c.sha, message: c.message, files: [] }));
  }

  async commitFiles(sha: string): Promise<string[]> {
    if (!this.spend()) return [];
    return this.port.commitFiles(sha);
  }
}
