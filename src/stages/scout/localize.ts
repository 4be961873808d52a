import { BoundedCache } from "../../line/bounded-cache.js";
import { Bm25, termCounts, type TermCounts } from "./bm25.js";
import { isCandidate } from "./candidates.js";
import type { HistoryCommit, RepoReader } from "../../ports/repo-reader.js";
import { pathTokens, splitIdentifier, tokenize, tokenizeRemembered } from "./tokenize.js";

export interface RankedFile {
  path: string;
  score: number;
  /** Why the file is here, strongest first: what a person can check. */
  reasons: string[];
}

/** A note from an earlier artifact on this repository: what it was about and the files it really changed. */
export interface PriorNote {
  ref: string;
  text: string;
  files: string[];
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

/**
 * How much each signal counts by default. A repository can calibrate its own
 * (`.factory/scout.json`, fitted on its history by `factory learn scout`).
 */
export const WEIGHTS = { text: 1, textRank: 0.5, history: 0.9, identifier: 0.6, mention: 1, recency: 0.4, cochange: 0.8, pair: 0.5, page: 0.25 };

export type Signal = keyof typeof WEIGHTS;

/** How many of the best text matches the text-rank signal lifts. */
const TEXT_RANKS = 20;
export type Weights = Record<Signal, number>;
export const SIGNALS = Object.keys(WEIGHTS) as Signal[];

/**
 * Past commits touching more files than `maxFilesPerCommit` are sweeping (formatting,
 * releases): they say little about any one file. `similarCommits` past changes vote.
 */
export const HISTORY = { maxFilesPerCommit: 12, similarCommits: 15 };

/**
 * The request without its cross-references: links to issues, pull requests, discussions and
 * commits, `#123`, `owner/repo#123`, `GH-123`, and the words that introduce them ("Closes #12",
 * "Refs:"). They name other threads, not code, and their numbers and host words match files by
 * chance. Other links stay: their paths can name what the change is about (a release, an API page).
 */
export function withoutReferences(text: string): string {
  return text
    .replace(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|see(?: also)?|related(?: to)?|part of|follow[- ]?up (?:to|of)|supersedes|replaces|addresses)\b\s*:?\s*(?=(?:https?:\/\/(?:www\.)?github\.com\/[\w.-]+\/[\w.-]+\/(?:issues|pull|pulls|discussions|commit|commits|compare)\/|[\w.-]+\/[\w.-]+#\d|#\d|GH-\d))/gi, " ")
    .replace(/https?:\/\/(?:www\.)?github\.com\/[\w.-]+\/[\w.-]+\/(?:issues|pull|pulls|discussions|commit|commits|compare)\/[^\s)>\]]*/g, " ")
    .replace(/(?:\b[\w.-]+\/[\w.-]+)?#\d+\b|\bGH-\d+\b/g, " ");
}

function normalise(values: Map<string, number>): Map<string, number> {
  let max = 0;
  for (const v of values.values()) max = Math.max(max, v);
  if (max === 0) return values;
  const out = new Map<string, number>();
  for (const [k, v] of values) out.set(k, v / max);
  return out;
}

/** Code-like names in the request: `backticked`, camelCase, snake_case, dotted.paths, file names. */
export function identifiersIn(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/`([^`\n]{2,80})`/g)) for (const part of (m[1] ?? "").split(/[^\w.$/-]+/)) if (part.length > 2) found.add(part);
  for (const m of text.matchAll(/\b[\w$]*(?:[a-z][A-Z]|_[a-z])[\w$]*\b/g)) found.add(m[0]);
  // kebab-case option names (`collapse-after`, `dry-run`): configuration keys are named this way.
  for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b/g)) found.add(m[0]);
  for (const m of text.matchAll(/\b[\w-]+(?:\/[\w.-]+)+\b|\b[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|json|ya?ml|md|py|go|rs)\b/g)) found.add(m[0]);
  // Other file names a request can give: config and source files of other languages, dotfiles (`.gitignore`).
  for (const m of text.matchAll(/(?<![\w/.-])(?:[\w-]+\.(?:toml|cfg|ini|txt|rst|sh|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|html|css|scss|vue|svelte|lock|mod|xml|gradle)|\.[a-z][\w.-]*[a-z])\b/g)) found.add(m[0]);
  return [...found].filter((id) => id.length >= 3 && id.length <= 80 && !KEYWORDS.has(id));
}

/** Literals and keywords inside backticks are not names of anything. */
const KEYWORDS = new Set(["true", "false", "null", "undefined", "this", "return", "const", "let", "var", "new", "function", "async", "await", "import", "export", "default", "class", "type", "interface", "void", "string", "number", "boolean"]);

function flipFirst(name: string): string {
  const first = name[0] ?? "";
  return (first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase()) + name.slice(1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A conventional-commit subject that changes behaviour, not housekeeping. */
export function isCodeChange(message: string): boolean {
  return !/^(chore|ci|build|docs|style|release|revert)(\([^)]*\))?!?:|^(bump|update|merge|release) /i.test(message);
}

/** Test file ↔ source file, by the conventions most repositories use. */
/** The words of a file's name (test markers and extension left out), as the request's words are tokenized. */
const nameWordCache = new Map<string, string[]>();
function nameWords(path: string): string[] {
  let words = nameWordCache.get(path);
  if (!words) {
    const base = (path.split("/").pop() ?? path).replace(/\.(test|spec|tests|e2e)(?=\.)/, "").replace(/^test_|_test(?=\.)/, "").replace(/\.[a-z0-9]+$/i, "");
    words = [...new Set(tokenize(base))];
    if (nameWordCache.size > 200_000) nameWordCache.clear();
    nameWordCache.set(path, words);
  }
  return words;
}

export function pairKey(path: string): string {
  const base = path.split("/").pop() ?? path;
  return base
    .replace(/\.(test|spec|tests|e2e)(?=\.)/, "")
    .replace(/^test_|_test(?=\.)/, "")
    .replace(/\.[a-z0-9]+$/i, "")
    .toLowerCase();
}

/** Prose a person reads: Markdown, reStructuredText, AsciiDoc pages. */
export function isDocPath(path: string): boolean {
  return /\.(md|mdx|markdown|rst|adoc)$/i.test(path);
}

/** What a page of prose documents: its name, or its folder's for an index page (`completions/_index.md`, `cli/README.md`). */
function pageKey(path: string): string | undefined {
  const key = (path.split("/").pop() ?? path).replace(/\.[a-z0-9]+$/i, "").toLowerCase();
  if (!/^(_?index|readme)$/.test(key)) return key;
  return path.split("/").at(-2)?.toLowerCase();
}

/** Source code, which a page can document (not configuration or data: `ci.yml`, `package.json`). */
function isCodePath(path: string): boolean {
  return /\.(ts|tsx|js|jsx|mjs|cjs|py|go|rs|rb|java|kt|scala|c|h|cc|cpp|hpp|cs|php|swift|ex|exs|lua|sh|vue|svelte)$/i.test(path);
}

export function isTestPath(path: string): boolean {
  return /(^|\/)(tests?|__tests__|spec)\/|\.(test|spec)\.[a-z]+$|_test\.[a-z]+$|(^|\/)test_[^/]+$/.test(path);
}

interface SnapshotIndex {
  /** The snapshot's files, for membership. */
  known: ReadonlySet<string>;
  bm25: Bm25;
  paths: string[][];
  byKey: Map<string, string[]>;
  /** Pages of prose by the name they document (`docs/active_help.md`, `site/content/completions/_index.md` → `completions`). */
  pagesByKey: Map<string, string[]>;
}

/** Tokenising every file is the expensive part: do it once per snapshot, whatever the queries. */
const indexes = new WeakMap<RepoSnapshot, SnapshotIndex>();

/**
 * Each file's document (path tokens ×3 and its text), kept across snapshots: the
 * next snapshot of the same repository (another base, a later query) re-reads only
 * the files whose text changed. Bounded; checked against the text, so a path with
 * other contents (another repository, another commit) is counted afresh.
 */
const documents = new BoundedCache<string, { text: string; document: TermCounts }>(64 * 1024 * 1024, (path, entry) => path.length + entry.text.length * 2);

function documentOf(path: string, pathWords: readonly string[], text: string): TermCounts {
  const known = documents.get(path);
  if (known && known.text === text) return known.document;
  const counts = new Map<string, number>();
  const fromPath = termCounts(pathWords, counts, 3);
  const fromText = termCounts(tokenize(text), counts);
  const document = { counts, length: fromPath.length + fromText.length };
  documents.set(path, { text, document });
  return document;
}

export function indexSnapshot(repo: RepoSnapshot): SnapshotIndex {
  let index = indexes.get(repo);
  if (!index) {
    const paths = repo.files.map((path) => pathTokens(path));
    const bm25 = new Bm25(repo.files.map((path, i) => documentOf(path, paths[i] as string[], repo.contents.get(path) ?? "")));
    const byKey = new Map<string, string[]>();
    const pagesByKey = new Map<string, string[]>();
    const file = (map: Map<string, string[]>, key: string, path: string) => {
      const list = map.get(key);
      if (list) list.push(path);
      else map.set(key, [path]);
    };
    for (const path of repo.files) {
      file(byKey, pairKey(path), path);
      const page = isDocPath(path) ? pageKey(path) : undefined;
      if (page) file(pagesByKey, page, path);
    }
    index = { known: new Set(repo.files), bm25, paths, byKey, pagesByKey };
    indexes.set(repo, index);
  }
  return index;
}

/** Each file's signal values for one request, before any weight: what calibration fits weights on. */
export interface Evidence {
  files: Map<string, { values: Partial<Record<Signal, number>>; reasons: Array<{ signal: Signal; value: number; text: string }> }>;
  /** Focused past changes (few files each), newest first: co-change reads them. */
  focused: HistoryCommit[];
  /** The request's first line asks for documentation ("Document how to…", "docs: …"). */
  asksForDocs: boolean;
}

/** The weight-free signals of a request: text, similar past changes, identifiers, mentions, recency. */
export function rankingEvidence(query: string, repo: RepoSnapshot, notes: readonly PriorNote[] = []): Evidence {
  const known = new Set(repo.files);
  const files: Evidence["files"] = new Map();
  const add = (path: string, signal: Signal, value: number, reason: string) => {
    if (!known.has(path) || value <= 0) return;
    const entry = files.get(path) ?? { values: {}, reasons: [] };
    entry.values[signal] = (entry.values[signal] ?? 0) + value;
    entry.reasons.push({ signal, value, text: reason });
    files.set(path, entry);
  };
  // A thread the request names (#123) is named by the past changes that fixed or discussed it: history reads those numbers, text does not.
  const threads = [...query.matchAll(/#(\d{3,})\b/g)].map((m) => m[1] as string);
  const terms = tokenize(withoutReferences(query));

  // Text: BM25 over the path (×3) and the contents.
  const index = indexSnapshot(repo);
  const textScores = index.bm25.scores(terms);
  const text = new Map<string, number>();
  repo.files.forEach((path, i) => {
    if ((textScores[i] ?? 0) > 0) text.set(path, textScores[i] ?? 0);
  });
  const queryTerms = new Set(terms);
  const fileIndex = new Map(repo.files.map((path, i) => [path, i]));
  for (const [path, value] of normalise(text)) {
    const hits = [...new Set(index.paths[fileIndex.get(path) ?? 0])].filter((t) => queryTerms.has(t));
    add(path, "text", value, hits.length ? `path matches ${hits.map((h) => `"${h}"`).join(", ")}` : "its text matches the request");
  }
  // Text rank: the best text matches keep a place however much the other signals lift the rest (rank fusion).
  [...text.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TEXT_RANKS)
    .forEach(([path], rank) => add(path, "textRank", 1 / (1 + rank / 2), `among the best text matches (#${rank + 1})`));

  // History: past changes whose messages read like this request, and the files they touched.
  const past = [
    ...repo.history
      .filter((c) => c.files.length > 0 && c.files.length <= HISTORY.maxFilesPerCommit)
      .map((c) => ({ text: c.message, files: c.files, boost: 1, why: `changed by a similar past change ${c.sha.slice(0, 7)} ("${c.message.split("\n")[0]?.slice(0, 60)}")` })),
    ...notes.map((n) => ({ text: n.text, files: n.files, boost: 2, why: `changed by an earlier artifact on the same area (${n.ref})` })),
  ];
  if (past.length) {
    const messages = new Bm25(past.map((c) => tokenizeRemembered(c.text)));
    const similarity = messages.scores(threads.length ? [...terms, ...threads] : terms);
    const top = past
      .map((c, i) => ({ c, s: (similarity[i] ?? 0) * c.boost }))
      .filter((x) => x.s > 0)
      .sort((a, b) => b.s - a.s)
      .slice(0, HISTORY.similarCommits);
    const votes = new Map<string, number>();
    const why = new Map<string, string>();
    for (const { c, s } of top) {
      for (const file of c.files) {
        votes.set(file, (votes.get(file) ?? 0) + s / Math.sqrt(c.files.length));
        if (!why.has(file)) why.set(file, c.why);
      }
    }
    for (const [path, value] of normalise(votes)) add(path, "history", value, why.get(path) ?? "similar past changes");
  }

  // Identifiers: a file named like one, or that defines one; failing both, a rare one it mentions.
  for (const id of identifiersIn(query)) {
    const mentioning = repo.files.filter((path) => (repo.contents.get(path) ?? "").includes(id));
    const rare = mentioning.length > 0 && mentioning.length <= Math.max(3, repo.files.length * 0.02);
    const lower = id.toLowerCase();
    const last = lower.split("/").pop() ?? lower;
    const stem = last.replace(/\.[a-z]+$/, "");
    // The name as given or with its first letter's case flipped: "make `InitFoo` public" asks about `initFoo`.
    const named = /^[A-Za-z]/.test(id) ? `(?:${escapeRegExp(id)}|${escapeRegExp(flipFirst(id))})` : escapeRegExp(id);
    const definition = /^[A-Za-z_$][\w$]*$/.test(id)
      ? new RegExp(`(?:function\\*?|class|interface|type|enum|const|let|var|def|fn|func)\\s+${named}\\b|\\bfunc\\s*\\([^)]*\\)\\s*${named}\\b|\\b${named}\\s*[:=]\\s*(?:async\\s*)?(?:function|\\()`)
      : undefined;
    for (const path of repo.files) {
      const p = path.toLowerCase();
      if ((lower.includes("/") && p.endsWith(lower)) || (/\.[a-z0-9]+$/.test(lower) && (p === lower || p.endsWith(`/${lower}`)))) add(path, "identifier", 1, `named in the request (\`${id}\`)`);
      else if (!stem) continue;
      else if (pairKey(p) === stem || splitIdentifier(pairKey(p)).join("") === splitIdentifier(stem).join("")) add(path, "identifier", 0.8, `its name matches \`${id}\``);
      else if (definition) {
        const found = definition.exec(repo.contents.get(path) ?? "");
        // The reason names what the file defines: `initFoo` when the request said `InitFoo`.
        if (found) add(path, "identifier", 0.6, `defines \`${found[0].includes(id) ? id : flipFirst(id)}\``);
      }
    }
    if (rare) for (const path of mentioning) add(path, "mention", 1 / Math.sqrt(mentioning.length), `mentions \`${id}\``);
  }

  // Names in plain words: a file whose name has two or more words, each in the request ("active help" → active_help.go).
  for (const path of repo.files) {
    const words = nameWords(path);
    if (words.length >= 2 && words.every((w) => queryTerms.has(w))) add(path, "identifier", 0.8, `its name's words are all in the request`);
  }

  // Recency: files that focused code changes touch often are likelier to change again.
  // Housekeeping (dependency bumps, CI, releases) would make workflow files look hot.
  const focused = repo.history.filter((c) => c.files.length > 0 && c.files.length <= HISTORY.maxFilesPerCommit);
  const changes = new Map<string, number>();
  for (const c of focused.filter((c) => isCodeChange(c.message)).slice(0, 300)) for (const f of c.files) changes.set(f, (changes.get(f) ?? 0) + 1);
  for (const [path, value] of normalise(new Map([...changes].map(([k, v]) => [k, Math.log1p(v)])))) {
    add(path, "recency", value, "changed often lately");
  }
  const asksForDocs = /\b(doc|docs|document|documents|documented|documenting|documentation)\b/i.test(query.split("\n")[0] ?? "");
  return { files, focused, asksForDocs };
}

/**
 * The evidence weighed: each file's score, then co-change with the leaders and
 * source/test pairing, best first. `explain: false` leaves the reasons out (a
 * calibration ranks the same evidence thousands of times and reads only the order).
 */
export function rankWith(evidence: Evidence, repo: RepoSnapshot, weights: Weights = WEIGHTS, explain = true): RankedFile[] {
  const { known, byKey, pagesByKey } = indexSnapshot(repo);
  const total = new Map<string, { score: number; reasons: Array<{ weight: number; text: string }> }>();
  const add = (path: string, weight: number, value: number, reason: string) => {
    if (!known.has(path) || value <= 0 || weight <= 0) return;
    const entry = total.get(path) ?? { score: 0, reasons: [] };
    entry.score += weight * value;
    if (explain) entry.reasons.push({ weight: weight * value, text: reason });
    total.set(path, entry);
  };
  // Recency is a prior: it orders the files something about the request points to, and brings
  // in none by itself (unless nothing in the request points anywhere, as with an empty one).
  const related = (entry: { reasons: ReadonlyArray<{ signal: Signal }> }) => entry.reasons.some((r) => r.signal !== "recency");
  const anyRelated = [...evidence.files.values()].some(related);
  for (const [path, entry] of evidence.files) {
    if (anyRelated && !related(entry)) continue;
    for (const r of entry.reasons) add(path, weights[r.signal], r.value, r.text);
  }

  // A request for documentation ("Document how to…") is answered in pages of prose: what points to one counts double.
  if (evidence.asksForDocs) {
    for (const [path, entry] of total) {
      if (!isDocPath(path)) continue;
      entry.score *= 2;
      if (explain) entry.reasons.push({ weight: entry.score / 2, text: "a page of documentation, and the request asks for documentation" });
    }
  }

  // Co-change: files that past focused changes touched together with the leading candidates.
  const { focused } = evidence;
  const leaders = [...total.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, 5);
  const lead = leaders[0]?.[1].score ?? 1;
  const together = new Map<string, number>();
  const reasonFor = new Map<string, string>();
  if (weights.cochange > 0) {
    for (const [leader, entry] of leaders) {
      const touching = focused.filter((c) => c.files.includes(leader));
      if (touching.length < 2) continue;
      const counts = new Map<string, number>();
      for (const c of touching) for (const f of c.files) if (f !== leader) counts.set(f, (counts.get(f) ?? 0) + 1);
      for (const [f, n] of counts) {
        const value = (entry.score / lead) * (n / touching.length);
        if (value > (together.get(f) ?? 0)) reasonFor.set(f, `changes together with ${leader} (${n} of ${touching.length} times)`);
        together.set(f, (together.get(f) ?? 0) + value);
      }
    }
  }
  for (const [path, value] of together) add(path, weights.cochange, Math.min(1, value), reasonFor.get(path) ?? "changes with the leading files");

  // Pairing: a source file pulls its test and a test its source, and its page of documentation when one is named like it
  // (active_help.go → docs/active_help.md): a change to what users see is written up there. A name that several pages share says less.
  const before = [...total.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, 15);
  const best = before[0]?.[1].score ?? 1;
  for (const [path, entry] of before) {
    // A test tests code: a page of prose that shares its name (active_help.md, active_help_test.go) is neither's partner.
    if (isDocPath(path)) continue;
    const partners = (byKey.get(pairKey(path)) ?? []).filter((p) => p !== path && isTestPath(p) !== isTestPath(path) && !isDocPath(p));
    for (const partner of partners.slice(0, 2)) add(partner, weights.pair, entry.score / best, `${isTestPath(partner) ? "test of" : "source of"} ${path}`);
    const pages = isTestPath(path) || !isCodePath(path) ? [] : (pagesByKey.get(pairKey(path)) ?? []);
    if (pages.length <= 2) for (const page of pages) add(page, weights.page, entry.score / best, `the page of documentation named like ${path}`);
  }

  return [...total.entries()]
    .map(([path, entry]) => ({
      path,
      score: Math.round(entry.score * 1000) / 1000,
      reasons: explain ? entry.reasons.sort((a, b) => b.weight - a.weight).map((r) => r.text).slice(0, 3) : [],
    }))
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
}

/**
 * Ranks the repository's files for a request. Deterministic and explainable:
 * every file carries the reasons it was chosen.
 */
export function rankFiles(query: string, repo: RepoSnapshot, notes: readonly PriorNote[] = [], weights: Weights = WEIGHTS): RankedFile[] {
  return rankWith(rankingEvidence(query, repo, notes), repo, weights);
}
