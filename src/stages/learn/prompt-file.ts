import { createHash } from "node:crypto";
import Mustache from "mustache";

/** Where a repository keeps a cell's accepted prompt template: merged into its base branch, it is accepted. */
export const promptOverridePath = (cell: string) => `.factory/prompts/${cell}.md`;

export const PROMPT_FILE_LIMIT = 32 * 1024;

/**
 * The cell's accepted template: the file on the artifact's base branch (what a
 * person merged), read through GitHub, never from the job's checkout, where a
 * harness could have written it or linked it to a file of the host. One that is
 * too large, empty or not a Mustache template is refused with the reason, and the
 * contract's template is used.
 */
export async function acceptedTemplate(read: (path: string, ref: string) => Promise<string | undefined>, baseBranch: string, cell: string): Promise<{ template?: string; path: string; problem?: string }> {
  const path = promptOverridePath(cell);
  const template = await read(path, baseBranch);
  if (template === undefined) return { path };
  if (template.length > PROMPT_FILE_LIMIT) return { path, problem: `${path} is ${template.length} characters, over the ${PROMPT_FILE_LIMIT} allowed; the default template was used` };
  if (!template.trim()) return { path, problem: `${path} is empty; the default template was used` };
  try {
    Mustache.parse(template);
  } catch (error) {
    return { path, problem: `${path} is not a valid template (${(error as Error).message.split("\n")[0]?.slice(0, 200)}); the default template was used` };
  }
  return { path, template };
}

export function templateDigest(template: string): string {
  return createHash("sha256").update(template).digest("hex").slice(0, 16);
}
