import { z } from "zod";
import { SIGNALS, type Signal } from "./localize.js";

/** `.factory/scout.json`: what the scout reads to weigh its signals on this repository. */
export const scoutFileSchema = z
  .object({
    version: z.literal(1),
    // A signal the file does not name keeps its default weight (a file fitted before the signal existed still works).
    weights: z.object(Object.fromEntries(SIGNALS.map((s) => [s, z.number().min(0).max(10).optional()])) as Record<Signal, z.ZodOptional<z.ZodNumber>>).strict(),
    fitted: z
      .object({
        at: z.string(),
        commit: z.string(),
        fitCases: z.number().int(),
        heldOutCases: z.number().int(),
        heldOutBefore: z.number(),
        heldOutAfter: z.number(),
        margin: z.number(),
      })
      .optional(),
  })
  .strict();

export type ScoutFile = z.infer<typeof scoutFileSchema>;

export const SCOUT_FILE = ".factory/scout.json";

/** Larger than any weights file needs to be. */
export const SCOUT_FILE_LIMIT = 16 * 1024;

/** The file's weights, or what is wrong with it (said in the memo; the defaults are used meanwhile). */
export function parseScoutFile(text: string): { ok: true; file: ScoutFile } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON: ${(error as Error).message}`.slice(0, 200) };
  }
  const parsed = scoutFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The file is the repository's text: what is said of it is clipped, so a memo never carries much of it.
    return { ok: false, problem: `${issue?.path.join(".") || "the top level"}: ${issue?.message ?? "invalid"}`.slice(0, 200) };
  }
  return { ok: true, file: parsed.data };
}

/** The weights a file names (the others keep their defaults). */
export function definedWeights(weights: ScoutFile["weights"]): Partial<Record<Signal, number>> {
  return Object.fromEntries(Object.entries(weights).filter(([, value]) => value !== undefined)) as Partial<Record<Signal, number>>;
}

/** How the memo names the weights it ranked with. */
export function describeScoutFile(file: ScoutFile): string {
  const fitted = file.fitted;
  if (!fitted) return `weights from ${SCOUT_FILE}`;
  return `weights calibrated for this repository (${SCOUT_FILE}, fitted ${fitted.at.slice(0, 10)} on ${fitted.fitCases} past changes; held-out recall@10 ${fitted.heldOutBefore} → ${fitted.heldOutAfter} on ${fitted.heldOutCases} later ones)`;
}
