import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { SignedRecord } from "../../state/records.js";
import { tokenize } from "../scout/tokenize.js";
import { LESSONS_DIR, lessonPath, parseLesson, renderLesson, slugify, type Lesson } from "./lesson-file.js";
import { matchLessons } from "./match.js";
import { chooseLessons, seededRng, update, type LessonStats, type Outcome } from "./thompson.js";

/** Where each lesson's posterior lives, next to the lessons, on the default branch. */
export const LESSON_STATS = `${LESSONS_DIR}/stats.json`;

const statsSchema = z.record(z.string(), z.object({ alpha: z.number().positive(), beta: z.number().positive(), updatedAt: z.string() }));

export function parseStats(text: string | undefined): { stats: Record<string, LessonStats>; problem?: string } {
  if (!text) return { stats: {} };
  try {
    const parsed = statsSchema.safeParse(JSON.parse(text));
    return parsed.success ? { stats: parsed.data } : { stats: {}, problem: `${LESSON_STATS}: ${parsed.error.issues[0]?.message ?? "invalid"}; starting from the prior` };
  } catch {
    return { stats: {}, problem: `${LESSON_STATS} is not JSON; starting from the prior` };
  }
}

/** The accepted lessons in a checkout, and which files could not be read (reported, never thrown). */
export async function readLessons(root: string): Promise<{ lessons: Lesson[]; stats: Record<string, LessonStats>; problems: string[] }> {
  const dir = join(root, LESSONS_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".md")).sort();
  } catch {
    return { lessons: [], stats: {}, problems: [] };
  }
  const lessons: Lesson[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const result = parseLesson(`${LESSONS_DIR}/${name}`, await readFile(join(dir, name), "utf8"));
    if (result.ok) lessons.push(result.lesson);
    else problems.push(result.problem);
  }
  const { stats, problem } = parseStats(await readFile(join(root, LESSON_STATS), "utf8").catch(() => undefined));
  if (problem) problems.push(problem);
  return { lessons, stats, problems };
}

/** A number from a job id, so a job's choice is reproducible and different jobs explore differently. */
function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The lessons to put in a builder's prompt: those that match the artifact (its
 * likely files, its goal and criteria), `k` of them chosen by Thompson sampling
 * over their decayed posteriors.
 */
export function selectLessons(
  lessons: readonly Lesson[],
  stats: Readonly<Record<string, LessonStats>>,
  target: { paths: readonly string[]; text: string; seed: string; now: Date; k?: number },
): Array<{ lesson: Lesson; theta: number; mean: number }> {
  const matches = matchLessons(lessons, { paths: target.paths, text: target.text });
  const chosen = chooseLessons(
    matches.map((m) => ({ id: m.lesson.id, relevance: m.relevance })),
    stats,
    { k: target.k ?? 3, now: target.now, rng: seededRng(seedOf(target.seed)) },
  );
  const byId = new Map(matches.map((m) => [m.lesson.id, m.lesson]));
  return chosen.map((c) => ({ lesson: byId.get(c.id) as Lesson, theta: c.theta, mean: c.mean }));
}

/**
 * The lessons a builder's prompt carries for an artifact, read from a checkout of
 * its base (`.factory/lessons/`): matched to the scout's likely files and the
 * request's text, chosen by Thompson sampling seeded by `seed` (the job, or a replay).
 */
export async function lessonsInCheckout(
  root: string,
  about: { likelyFiles: readonly string[]; title: string; goal: string; criteria: readonly string[]; seed: string; now: Date },
): Promise<{ chosen: Array<{ lesson: Lesson; theta: number; mean: number }>; problems: string[] }> {
  const known = await readLessons(root);
  const chosen = selectLessons(known.lessons, known.stats, { paths: about.likelyFiles, text: [about.title, about.goal, ...about.criteria].join("\n"), seed: about.seed, now: about.now });
  return { chosen, problems: known.problems };
}

/** The outcome a run gives the lessons it used: verified on the first try and merged without requested changes. */
export function lessonOutcome(m: { verifyFirstTry: boolean; reviewRounds: number }): Outcome {
  return m.verifyFirstTry && m.reviewRounds === 0 ? "success" : "failure";
}

export function updateStats(stats: Readonly<Record<string, LessonStats>>, ids: readonly string[], outcome: Outcome, now: Date): Record<string, LessonStats> {
  const next = { ...stats };
  for (const id of new Set(ids)) next[id] = update(stats[id], outcome, now);
  return next;
}

/** Words that say what a comment is about, for a lesson's keywords. */
function keywordsOf(text: string): string[] {
  const counts = new Map<string, number>();
  for (const t of tokenize(text)) if (t.length > 3) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3).map(([t]) => t);
}

function firstSentence(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  const sentence = /^(.{10,120}?[.!?])(\s|$)/.exec(line)?.[1] ?? line.slice(0, 120);
  return sentence.replace(/[`*_]/g, "").trim();
}

/**
 * Lessons the analyst proposes from what people and the verifier said: each inline
 * review comment asking for a change (on its file), and each verifier failure (on
 * the files it names), citing where it came from. A person accepts one by merging it.
 */
export function proposeLessons(records: readonly SignedRecord[], options: { now: Date; max: number; existing: ReadonlySet<string>; prUrl: string }): Lesson[] {
  const out = new Map<string, Lesson>();
  const created = options.now.toISOString().slice(0, 10);
  const add = (title: string, body: string, paths: string[], source: string) => {
    if (!title || out.size >= options.max) return;
    const id = slugify(title);
    if (options.existing.has(id) || out.has(id)) return;
    const keywords = keywordsOf(`${title} ${body}`);
    if (paths.length === 0 && keywords.length === 0) return;
    out.set(id, { id, title, paths, keywords, sources: /^https?:\/\//.test(source) ? [source] : [], created, body });
  };
  for (const r of records) {
    if (r.kind !== "review.changes_requested") continue;
    for (const c of r.data.comments) {
      add(firstSentence(c.body), `@${r.data.by} asked, on \`${c.path}\`:\n\n> ${c.body.replace(/\n/g, "\n> ")}`, [c.path], c.url || r.data.url);
    }
    if (r.data.comments.length === 0 && r.data.body) add(firstSentence(r.data.body), `@${r.data.by} asked:\n\n> ${r.data.body.replace(/\n/g, "\n> ")}`, [], r.data.url);
  }
  for (const r of records) {
    if (r.kind !== "stage.completed" || r.data.stage !== "verify") continue;
    const output = r.data.output as { verdict?: string; summary?: string } | undefined;
    if (output?.verdict !== "fail" || !output.summary) continue;
    const failure = output.summary.split("\n").find((l) => l.startsWith("- ")) ?? "";
    const file = / at ([^\s:]+)(?::\d+)?$/.exec(failure)?.[1];
    add(`Keep ${file ?? "the tests"} passing: ${firstSentence(failure.slice(2)).slice(0, 80)}`, `The verifier failed a build on this:\n\n    ${failure.slice(2)}`, file ? [file] : [], options.prUrl);
  }
  return [...out.values()];
}

/** The files a lessons PR adds. */
export function lessonFiles(lessons: readonly Lesson[]): Record<string, string> {
  return Object.fromEntries(lessons.map((l) => [lessonPath(l.id), renderLesson(l)]));
}
