import { Bm25 } from "./bm25.js";
import { isCandidate } from "./candidates.js";
import type { HistoryCommit, RepoReader } from "./repo-reader.js";
import { pathTokens, tokenize } from "./tokenize.js";

export interface RankedFile {
  path: string;
  score: number;
  reasons: string[];
}

/** What the scout knows of a repository at one commit. */
export interface RepoSnapshot {
  files: string[];
  contents: Map<string, string>;
  history: HistoryCommit[];
}

export async function snapshotRepo(reader: RepoReader, historyLimit = 1000): Promise<RepoSnapshot> {
  const listed = await reader.listFiles();
  const files = listed.filter((f) => isCandidate(f.path, f.size)).map((f) => f.path);
  const [contents, history] = await Promise.all([reader.readFiles(files), reader.history(historyLimit)]);
  return { files: files.filter((f) => contents.has(f)), contents, history };
}

export function rankFiles(query: string, repo: RepoSnapshot): RankedFile[] {
  const documents = repo.files.map((path) => {
    const p = pathTokens(path);
    return [...p, ...p, ...p, ...tokenize(repo.contents.get(path) ?? "")];
  });
  const scores = new Bm25(documents).scores(tokenize(query));
  return repo.files
    .map((path, i) => ({ path, score: scores[i] ?? 0, reasons: ["text"] }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
}
