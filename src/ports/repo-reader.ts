/** What the scout may read of a repository, at one commit: the port both readers implement. */
export interface RepoFile {
  path: string;
  size: number;
}

export interface HistoryCommit {
  sha: string;
  message: string;
  files: string[];
}

export interface RepoReader {
  /** Every file at the commit (blobs only). */
  listFiles(): Promise<RepoFile[]>;
  /** The text of the given paths, where readable within the reader's budget; missing ones are left out. */
  readFiles(paths: readonly string[]): Promise<Map<string, string>>;
  /** Recent commits reachable from the commit, newest first, with the files each touched (empty when unknown). */
  history(limit: number): Promise<HistoryCommit[]>;
  /** The files one commit touched, for readers whose history lists messages only. */
  commitFiles?(sha: string): Promise<string[]>;
}
