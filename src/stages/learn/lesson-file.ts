/**
 * The lesson file: Markdown with a YAML front matter block, one lesson per
 * file under `.factory/lessons/` on the default branch. A person accepts a
 * lesson by merging its file; this module is the only reader and writer.
 */
import { Document, isSeq, parseDocument, Scalar } from "yaml";
import { z } from "zod";
import { formatProblems } from "../../config/load.js";

export const LESSONS_DIR = ".factory/lessons";

const LIST_KEYS = ["paths", "keywords", "sources"] as const;

export const lessonFrontMatterSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{3,80}$/, { error: "must be 3 to 80 characters of a-z, 0-9 and `-`, like `prefer-strict-equal`" }),
    title: z
      .string()
      .trim()
      .min(1)
      .refine((title) => !/[\r\n]/.test(title), { error: "must be one line" }),
    paths: z.array(z.string().trim().min(1)).default([]),
    keywords: z.array(z.string().trim().min(1)).default([]),
    sources: z.array(z.url({ protocol: /^https?$/, error: "must be an http(s) link to the comment the lesson came from" })).default([]),
    created: z.iso.date({ error: "must be a date like 2026-11-25" }),
  })
  // A lesson with neither can never match an artifact, so it would sit unused.
  .refine((lesson) => lesson.paths.length > 0 || lesson.keywords.length > 0, {
    error: "must list at least one glob (or `keywords` at least one word), else the lesson never matches",
    path: ["paths"],
  });

export type LessonFrontMatter = z.infer<typeof lessonFrontMatterSchema>;

/** `body` is the Markdown after the front matter, without surrounding blank lines. */
export type Lesson = LessonFrontMatter & { body: string };

export type LessonResult = { ok: true; lesson: Lesson } | { ok: false; problem: string };

const SHAPE = "a line `---`, then YAML with id, title, paths, keywords, sources and created, then a line `---`, then the lesson text";

export function lessonPath(id: string): string {
  return `${LESSONS_DIR}/${id}.md`;
}

/** Never throws: every problem comes back as one line naming the file and the key. */
export function parseLesson(path: string, text: string): LessonResult {
  const fail = (problem: string): LessonResult => ({ ok: false, problem: `${path}: ${problem}` });
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trimEnd() !== "---") return fail(`no front matter: a lesson file starts with ${SHAPE}`);
  const close = lines.findIndex((line, i) => i > 0 && line.trimEnd() === "---");
  if (close < 0) return fail("the front matter opened on line 1 is never closed: add a line `---` after the YAML");

  const doc = parseDocument(lines.slice(1, close).join("\n"));
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The YAML starts on the file's line 2.
    const line = (yamlError.linePos?.[0].line ?? 0) + 1;
    const message = (yamlError.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return fail(`line ${line}: the front matter is not valid YAML: ${message}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // yaml refuses alias bombs here, after parsing.
    return fail(`the front matter cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return fail(`the front matter must be a YAML mapping; a lesson file is ${SHAPE}`);

  const parsed = lessonFrontMatterSchema.safeParse(raw);
  if (!parsed.success) return fail(`front matter ${formatProblems(parsed.error, raw).join("; ")}`);

  const body = lines
    .slice(close + 1)
    .join("\n")
    .replace(/^\s*\n/, "")
    .trimEnd();
  if (!body.trim()) return fail("the lesson text after the front matter is empty: say what to do and why");
  return { ok: true, lesson: { ...parsed.data, body } };
}

/** The file text for a lesson; `parseLesson` reads it back to an equal lesson. */
export function renderLesson(lesson: Lesson): string {
  const doc = new Document({
    id: lesson.id,
    title: lesson.title,
    paths: lesson.paths,
    keywords: lesson.keywords,
    sources: lesson.sources,
    created: lesson.created,
  });
  // Short quoted lists, as people write them; a glob such as `*.md` cannot be read as a YAML alias.
  for (const key of LIST_KEYS) {
    const node = doc.get(key, true);
    if (!isSeq(node)) continue;
    node.flow = true;
    for (const item of node.items) if (item instanceof Scalar) item.type = Scalar.QUOTE_DOUBLE;
  }
  return `---\n${doc.toString({ lineWidth: 0 })}---\n\n${lesson.body}\n`;
}

/** A valid lesson id from a title: `Use strict equality in tests` → `use-strict-equality-in-tests`. */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  // Cut at a word boundary where one is in reach.
  const cut = slug.length <= 80 || slug[80] === "-" ? slug.slice(0, 80) : slug.slice(0, 80).replace(/-[^-]*$/, "") || slug.slice(0, 80);
  const trimmed = cut.replace(/-+$/, "");
  if (!trimmed) return "lesson";
  return trimmed.length < 3 ? `lesson-${trimmed}` : trimmed;
}
