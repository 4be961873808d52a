import { createHash } from "node:crypto";
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Where a repository keeps a cell's accepted prompt template (proposed by `factory learn prompts`, accepted by merging). */
export const promptOverridePath = (cell: string) => `.factory/prompts/${cell}.md`;

const PROMPT_FILE_LIMIT = 32 * 1024;

/**
 * The cell's template from the checked-out repository, when it has a usable one.
 * The clone is untrusted: a symlink (it could point at a host file) or an
 * oversized file is refused, with the reason, and the contract's template is used.
 */
export async function readPromptOverride(dir: string, cell: string): Promise<{ template?: string; path: string; problem?: string }> {
  const path = promptOverridePath(cell);
  const file = join(dir, path);
  const stat = await lstat(file).catch(() => undefined);
  if (!stat) return { path };
  if (!stat.isFile()) return { path, problem: `${path} is not a regular file (a symlink or a directory); the default template was used` };
  if (stat.size > PROMPT_FILE_LIMIT) return { path, problem: `${path} is ${stat.size} bytes, over the ${PROMPT_FILE_LIMIT} allowed; the default template was used` };
  const template = await readFile(file, "utf8");
  if (!template.trim()) return { path, problem: `${path} is empty; the default template was used` };
  return { path, template };
}

export function templateDigest(template: string): string {
  return createHash("sha256").update(template).digest("hex").slice(0, 16);
}
