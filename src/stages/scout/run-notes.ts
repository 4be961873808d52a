import { z } from "zod";
import type { PriorNote } from "./localize.js";

/**
 * A post-run note, `.factory/runs/<date>-<slug>.json` on the default branch: what an
 * earlier artifact asked for and the files its merged change really touched. The
 * analyst writes them; the scout reads them so a related artifact starts from what
 * the last one learned.
 */
export const runNoteSchema = z.object({
  v: z.literal(1),
  artifact: z.string(),
  title: z.string(),
  goal: z.string().default(""),
  criteria: z.array(z.string()).default([]),
  changedFiles: z.array(z.string()),
});

export type RunNote = z.infer<typeof runNoteSchema>;

export const RUN_NOTES_DIR = ".factory/runs/";
/** The newest notes are the relevant ones; older ones are in the repository's history anyway. */
export const MAX_RUN_NOTES = 30;

export function runNotePaths(files: readonly string[]): string[] {
  return files
    .filter((f) => f.startsWith(RUN_NOTES_DIR) && f.endsWith(".json"))
    .sort()
    .reverse()
    .slice(0, MAX_RUN_NOTES);
}

/** Reads the notes; a malformed one is reported by path, never thrown. */
export function parseRunNotes(texts: ReadonlyMap<string, string>): { notes: PriorNote[]; unreadable: string[] } {
  const notes: PriorNote[] = [];
  const unreadable: string[] = [];
  for (const [path, text] of texts) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      unreadable.push(`${path} (not JSON)`);
      continue;
    }
    const note = runNoteSchema.safeParse(parsed);
    if (!note.success) {
      const issue = note.error.issues[0];
      unreadable.push(`${path} (${issue?.path.join(".") || "top level"}: ${issue?.message})`);
      continue;
    }
    notes.push({ ref: path, text: [note.data.title, note.data.goal, ...note.data.criteria].join("\n"), files: note.data.changedFiles });
  }
  return { notes, unreadable };
}
