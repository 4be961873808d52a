import { z } from "zod";
import { SIGNALS, type Signal } from "./localize.js";

/** `.factory/scout.json`: what the scout reads to weigh its signals on this repository. */
export const scoutFileSchema = z
  .object({
    version: z.literal(1),
    weights: z.object(Object.fromEntries(SIGNALS.map((s) => [s, z.number().min(0).max(10)])) as Record<Signal, z.ZodNumber>).strict(),
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

/** The file's weights, or what is wrong with it (said in the memo; the defaults are used meanwhile). */
export function parseScoutFile(text: string): { ok: true; file: ScoutFile } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON: ${(error as Error).message}` };
  }
  const parsed = scoutFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join(".") || "the top level"}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, file: parsed.data };
}

/** How the memo names the weights it ranked with. */
export function describeScoutFile(file: ScoutFile): string {
  const fitted = file.fitted;
  if (!fitted) return `weights from ${SCOUT_FILE}`;
  return `weights calibrated for this repository (${SCOUT_FILE}, fitted ${fitted.at.slice(0, 10)} on ${fitted.fitCases} past changes; held-out recall@10 ${fitted.heldOutBefore} → ${fitted.heldOutAfter} on ${fitted.heldOutCases} later ones)`;
}
