import { Bm25 } from "./bm25.js";
import { pathTokens, tokenize } from "./tokenize.js";

/** The baseline's documents: each file's path tokens three times, then its contents. */
export function baselineIndex(files: readonly string[], contents: ReadonlyMap<string, string>): Bm25 {
  return new Bm25(
    files.map((path) => {
      const p = pathTokens(path);
      return [...p, ...p, ...p, ...tokenize(contents.get(path) ?? "")];
    }),
  );
}

/**
 * The reference point: plain BM25 over path tokens (weighted ×3) and file
 * contents, no history. The scout has to beat this on the same cases.
 */
export function bm25Baseline(query: string, files: readonly string[], contents: ReadonlyMap<string, string>, index?: Bm25): string[] {
  // `index`: the same documents already built (the scout's index of this snapshot, or `baselineIndex`), so a benchmark indexes once.
  const bm25 = index ?? baselineIndex(files, contents);
  const scores = bm25.scores(tokenize(query));
  return files
    .map((path, i) => ({ path, score: scores[i] ?? 0 }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path))
    .map((r) => r.path);
}
