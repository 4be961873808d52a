/**
 * Which accepted lessons bear on a new artifact: a lesson matches when one of
 * its path globs matches one of the scout's likely files, or one of its
 * keywords appears in the goal and criteria.
 */
import type { Lesson } from "./lesson-file.js";

export interface MatchTarget {
  /** The scout's likely files, relative to the repository root. */
  paths: readonly string[];
  /** The goal and acceptance criteria. */
  text: string;
}

export interface MatchReason {
  /** Each matched file with the first of the lesson's globs that matched it. */
  paths: Array<{ glob: string; file: string }>;
  /** The lesson's keywords found in the text, as the lesson spells them. */
  keywords: string[];
}

export interface LessonMatch<L> {
  lesson: L;
  /**
   * In [0, 2): the share of the artifact's files matched, plus 1 - 0.5^(keywords found), so
   * each further keyword adds half as much and listing many keywords costs a lesson nothing.
   */
  relevance: number;
  why: MatchReason;
}

type Matchable = Pick<Lesson, "id" | "paths" | "keywords">;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The index of the `}` closing the `{` at `open`, or -1. */
function closingBrace(glob: string, open: number): number {
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === "{") depth++;
    else if (glob[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Splits `a,{b,c},d` at its top-level commas. */
function alternatives(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === "{") depth++;
    else if (inner[i] === "}") depth--;
    else if (inner[i] === "," && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

function globSource(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      let end = i;
      while (glob[end] === "*") end++;
      const wholeSegment = end - i > 1 && (i === 0 || glob[i - 1] === "/") && (end === glob.length || glob[end] === "/");
      if (wholeSegment && glob[end] === "/") {
        out += "(?:[^/]*/)*";
        i = end;
      } else {
        out += wholeSegment ? ".*" : "[^/]*";
        i = end - 1;
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "{" && closingBrace(glob, i) > i) {
      const close = closingBrace(glob, i);
      out += `(?:${alternatives(glob.slice(i + 1, close)).map(globSource).join("|")})`;
      i = close;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

const normalisePath = (path: string) => path.trim().replace(/\\/g, "/").replace(/^(?:\.\/)+/, "").replace(/^\/+/, "");

/**
 * `**` spans any number of segments, `*` and `?` stay within one, `{a,b}` is
 * either. As in .gitignore, a pattern without `/` matches a basename at any
 * depth, a leading `/` only anchors, and a trailing `/` (or a pattern with no
 * wildcard at all) names a directory too, matching everything under it.
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/^(?:\.\/)+/, "");
  const directory = pattern.endsWith("/");
  pattern = pattern.replace(/\/+$/, "");
  const anchored = pattern.includes("/");
  pattern = pattern.replace(/^\/+/, "");
  const literal = !/[*?{]/.test(pattern);
  const prefix = anchored ? "" : "(?:.*/)?";
  const suffix = directory ? "/.*" : literal ? "(?:/.*)?" : "";
  return new RegExp(`^${prefix}${globSource(pattern)}${suffix}$`);
}

/** Case-insensitive, whole words: `assert` is in "Assert it" but not in "asserts"; spaces in a keyword match any run of whitespace. */
export function keywordRegExp(keyword: string): RegExp {
  const words = keyword.trim().split(/\s+/).map(escapeRegExp).join("\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words}(?![\\p{L}\\p{N}_])`, "iu");
}

/** The lessons that match, most relevant first (ties by id); lessons that do not match are left out. */
export function matchLessons<L extends Matchable>(lessons: readonly L[], target: MatchTarget): Array<LessonMatch<L>> {
  const files = [...new Set(target.paths.map(normalisePath).filter(Boolean))];
  const globs = new Map<string, RegExp>();
  const compiled = (glob: string) => {
    let regExp = globs.get(glob);
    if (!regExp) globs.set(glob, (regExp = globToRegExp(glob)));
    return regExp;
  };

  const matches: Array<LessonMatch<L>> = [];
  for (const lesson of lessons) {
    const pathHits: MatchReason["paths"] = [];
    for (const file of files) {
      const glob = lesson.paths.find((candidate) => compiled(candidate).test(file));
      if (glob !== undefined) pathHits.push({ glob, file });
    }
    const keywordHits = lesson.keywords.filter((keyword) => keyword.trim() && keywordRegExp(keyword).test(target.text));
    if (pathHits.length === 0 && keywordHits.length === 0) continue;
    const relevance = (files.length ? pathHits.length / files.length : 0) + (1 - 0.5 ** keywordHits.length);
    matches.push({ lesson, relevance, why: { paths: pathHits, keywords: keywordHits } });
  }
  return matches.sort((a, b) => b.relevance - a.relevance || (a.lesson.id < b.lesson.id ? -1 : a.lesson.id > b.lesson.id ? 1 : 0));
}
