/**
 * Which artifacts of a repository changed since the ledger last caught up: a handler
 * that wrote a record marks its artifact, and the next ledger refresh takes the
 * marks and re-reads only those artifacts. Shared by every process (Redis) or kept
 * in this one (memory).
 */
export interface ChangedArtifacts {
  mark(repository: string, issue: number): Promise<void>;
  /** Takes every mark of a repository (they are gone after); a refresh that fails puts them back with `mark`. */
  take(repository: string): Promise<number[]>;
  close?(): Promise<void>;
}

export class MemoryChangedArtifacts implements ChangedArtifacts {
  private readonly marks = new Map<string, Set<number>>();

  async mark(repository: string, issue: number): Promise<void> {
    const key = repository.toLowerCase();
    const set = this.marks.get(key) ?? new Set<number>();
    set.add(issue);
    this.marks.set(key, set);
  }

  async take(repository: string): Promise<number[]> {
    const key = repository.toLowerCase();
    const set = this.marks.get(key);
    this.marks.delete(key);
    return [...(set ?? [])].sort((a, b) => a - b);
  }
}
