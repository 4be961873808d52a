/**
 * Which artifacts of a repository changed since the ledger last caught up: a handler
 * that wrote a record marks its artifact, and the next ledger refresh reads the
 * marks, re-reads only those artifacts, and clears the marks once it is done. A mark
 * made again while a refresh runs (the artifact changed once more) survives its
 * clear, and a refresh that fails or dies clears nothing: no change is lost. Shared by
 * every process (Redis) or kept in this one (memory).
 */
export interface ChangedArtifacts {
  mark(repository: string, issue: number): Promise<void>;
  /** The marks of a repository as they are now (sorted), and how to clear exactly those once they are handled. */
  marked(repository: string): Promise<Marks>;
  close?(): Promise<void>;
}

export interface Marks {
  issues: number[];
  /** Removes each mark read, unless it was made again since. */
  clear(): Promise<void>;
}

export class MemoryChangedArtifacts implements ChangedArtifacts {
  /** repository → issue → how many times it was marked. */
  private readonly marks = new Map<string, Map<number, number>>();

  async mark(repository: string, issue: number): Promise<void> {
    const key = repository.toLowerCase();
    const versions = this.marks.get(key) ?? new Map<number, number>();
    versions.set(issue, (versions.get(issue) ?? 0) + 1);
    this.marks.set(key, versions);
  }

  async marked(repository: string): Promise<Marks> {
    const key = repository.toLowerCase();
    const seen = new Map(this.marks.get(key) ?? []);
    return {
      issues: [...seen.keys()].sort((a, b) => a - b),
      clear: async () => {
        const versions = this.marks.get(key);
        for (const [issue, version] of seen) if (versions?.get(issue) === version) versions.delete(issue);
        if (versions?.size === 0) this.marks.delete(key);
      },
    };
  }
}
