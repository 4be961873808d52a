/**
 * Which accepted lessons bear on a new artifact: a lesson matches when one of
 * its path globs matches one of the scout's likely files, or one of its
 * keywords appears in the goal and criteria.
 */
import { globList, normalisePath } from "../../line/globs.js";
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

/** Case-insensitive, whole words: `assert` is in "Assert it" but not in "asserts"; spaces in a keyword match any run of whitespace. */
export function keywordRegExp(keyword: string): RegExp {
  const words = keyword.trim().split(/\s+/).map(escapeRegExp).join("\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words}(?![\\p{L}\\p{N}_])`, "iu");
}

/** The lessons that match, most relevant first (ties by id); lessons that do not match are left out. */
export function matchLessons<L extends Matchable>(lessons: readonly L[], target: MatchTarget): Array<LessonMatch<L>> {
  const files = [...new Set(target.paths.map(normalisePath).filter(Boolean))];

  const matches: Array<LessonMatch<L>> = [];
  for (const lesson of lessons) {
    const pathHits: MatchReason["paths"] = [];
    const matchOf = globList(lesson.paths);
    for (const file of files) {
      const glob = matchOf(file);
      if (glob !== undefined) pathHits.push({ glob, file });
    }
    const keywordHits = lesson.keywords.filter((keyword) => keyword.trim() && keywordRegExp(keyword).test(target.text));
    if (pathHits.length === 0 && keywordHits.length === 0) continue;
    const relevance = (files.length ? pathHits.length / files.length : 0) + (1 - 0.5 ** keywordHits.length);
    matches.push({ lesson, relevance, why: { paths: pathHits, keywords: keywordHits } });
  }
  return matches.sort((a, b) => b.relevance - a.relevance || (a.lesson.id < b.lesson.id ? -1 : a.lesson.id > b.lesson.id ? 1 : 0));
}
