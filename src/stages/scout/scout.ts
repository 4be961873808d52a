import { planFor } from "./plan.js";
import { Bm25 } from "./bm25.js";
import { isCandidate } from "./candidates.js";
import { HISTORY, identifiersIn, pairKey, rankFiles, WEIGHTS, type PriorNote } from "./localize.js";
import { buildMemo, metaFilesIn, type ScoutMemo } from "./memo.js";
import type { RepoReader } from "../../ports/repo-reader.js";
import { parseRunNotes, runNotePaths } from "./run-notes.js";
import { definedWeights, describeScoutFile, parseScoutFile, SCOUT_FILE, SCOUT_FILE_LIMIT } from "./scout-file.js";
import { pathTokens, tokenize, tokenizeRemembered } from "./tokenize.js";

export interface ScoutRequest {
  title: string;
  goal: string;
  criteria: readonly string[];
  notes?: readonly PriorNote[];
}

export interface ScoutLimits {
  /** Files whose contents the scout may read (besides the meta files). */
  filesRead: number;
  historyCommits: number;
}

export function scoutQuery(request: ScoutRequest): string {
  return [request.title, request.goal, ...request.criteria].join("\n\n");
}

/**
 * Which files to read when the budget cannot cover them all: the ones whose
 * paths match the request, those named in it, and the source/test partners of both.
 */
export function chooseFilesToRead(query: string, files: readonly string[], limit: number, fromHistory: readonly string[] = []): string[] {
  if (files.length <= limit) return [...files];
  const paths = files.map((f) => pathTokens(f));
  const scores = new Bm25(paths).scores(tokenize(query));
  const names = identifiersIn(query).map((id) => (id.split("/").pop() ?? id).toLowerCase().replace(/\.[a-z]+$/, ""));
  const ranked = files
    .map((path, i) => ({ path, score: (scores[i] ?? 0) + (names.includes(pairKey(path)) ? 10 : 0) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.ceil(limit * (fromHistory.length ? 0.6 : 0.7)))
    .map((r) => r.path);
  const chosen = new Set(ranked);
  // Files that changed in commits that read like this request: for a terse request, the best lead there is.
  const known = new Set(files);
  for (const path of fromHistory) {
    if (chosen.size >= Math.ceil(limit * 0.9)) break;
    if (known.has(path)) chosen.add(path);
  }
  const keys = new Set(ranked.map(pairKey));
  for (const path of files) {
    if (chosen.size >= limit) break;
    if (keys.has(pairKey(path))) chosen.add(path);
  }
  return [...chosen];
}

/** The files of the past commits whose messages read most like the request, most similar first (sweeping commits left out). */
export function filesOfSimilarCommits(query: string, history: ReadonlyArray<{ message: string; files: readonly string[] }>): string[] {
  const usable = history.filter((c) => c.files.length > 0 && c.files.length <= HISTORY.maxFilesPerCommit);
  if (usable.length === 0) return [];
  const similarity = new Bm25(usable.map((c) => tokenizeRemembered(c.message))).scores(tokenize(query));
  return [
    ...new Set(
      usable
        .map((c, i) => ({ c, s: similarity[i] ?? 0 }))
        .filter((x) => x.s > 0)
        .sort((a, b) => b.s - a.s)
        .slice(0, HISTORY.similarCommits * 2)
        .flatMap((x) => x.c.files),
    ),
  ];
}

/** The scout cell: rank the files for the request and write the memo. Deterministic for a given repository state. */
export async function scout(reader: RepoReader, request: ScoutRequest, limits: ScoutLimits): Promise<ScoutMemo> {
  const started = performance.now();
  const listed = await reader.listFiles();
  const all = listed.map((f) => f.path);
  const candidates = listed.filter((f) => isCandidate(f.path, f.size)).map((f) => f.path);
  const query = scoutQuery(request);
  const notePaths = runNotePaths(all);

  let history = await reader.history(limits.historyCommits);
  if (reader.commitFiles && history.every((c) => c.files.length === 0) && history.length > 0) {
    // Messages only: fetch the files of the commits that read most like this request.
    const similarity = new Bm25(history.map((c) => tokenizeRemembered(c.message))).scores(tokenize(query));
    const top = history
      .map((c, i) => ({ c, s: similarity[i] ?? 0 }))
      .filter((x) => x.s > 0)
      .sort((a, b) => b.s - a.s)
      .slice(0, HISTORY.similarCommits);
    const files = new Map<string, string[]>();
    for (const { c } of top) files.set(c.sha, await reader.commitFiles(c.sha));
    history = history.map((c) => ({ ...c, files: files.get(c.sha) ?? [] }));
  }

  // The repository's calibration, read with the meta files when it is of a sensible size.
  const scoutEntry = listed.find((f) => f.path === SCOUT_FILE);
  const toRead = [
    ...new Set([...metaFilesIn(all), ...notePaths, ...(scoutEntry && scoutEntry.size <= SCOUT_FILE_LIMIT ? [SCOUT_FILE] : []), ...chooseFilesToRead(query, candidates.filter((f) => !notePaths.includes(f)), limits.filesRead, filesOfSimilarCommits(query, history))]),
  ];
  const contents = await reader.readFiles(toRead);
  const { notes, unreadable } = parseRunNotes(new Map(notePaths.flatMap((p) => (contents.has(p) ? [[p, contents.get(p) as string] as const] : []))));

  // The repository's own calibration, when it has one that parses; otherwise the defaults, and the memo says why.
  const scoutText = contents.get(SCOUT_FILE);
  const scoutFile: ReturnType<typeof parseScoutFile> | undefined =
    scoutEntry && scoutEntry.size > SCOUT_FILE_LIMIT ? { ok: false, problem: `${scoutEntry.size} bytes, over the ${SCOUT_FILE_LIMIT} allowed` } : scoutText === undefined ? undefined : parseScoutFile(scoutText);
  const weights = scoutFile?.ok ? { ...WEIGHTS, ...definedWeights(scoutFile.file.weights) } : undefined;
  const ranked = rankFiles(query, { files: candidates.filter((f) => !notePaths.includes(f) && f !== SCOUT_FILE), contents, history }, [...notes, ...(request.notes ?? [])], weights);
  const memo = buildMemo({
    ranked,
    files: all,
    read: (path) => contents.get(path),
    stats: { filesConsidered: candidates.length, filesRead: contents.size, historyCommits: history.length, ms: Math.round(performance.now() - started) },
  });
  memo.plan = planFor(request.criteria, memo);
  if (unreadable.length) memo.notFound.push(`a readable post-run note in ${unreadable.join(", ")}`);
  if (scoutFile?.ok) memo.weights = describeScoutFile(scoutFile.file);
  else if (scoutFile) memo.notFound.push(`usable weights in ${SCOUT_FILE} (${scoutFile.problem}); the default weights were used`);
  return memo;
}
