import { rawBlocks, stripBlocks } from "../state/codec.js";
import { cleanText, clip } from "./text.js";

/** GitHub rejects bodies over 65,536 characters; leave room for the hidden blocks. */
export const BODY_LIMIT = 65_000;

/** The most GitHub takes in an issue, PR or comment body. */
export const GITHUB_BODY_LIMIT = 65_536;

/** Truncates the visible part with a note a person can see, never the hidden blocks. */
export function fitBody(visible: string, blocks: readonly string[] = [], limit = BODY_LIMIT): string {
  const tail = blocks.length ? `\n\n${blocks.join("\n")}` : "";
  const room = limit - tail.length;
  if (visible.length <= room) return `${visible}${tail}`;
  const note = "\n\n> [!NOTE]\n> This comment was cut to fit GitHub's size limit.";
  return `${visible.slice(0, Math.max(0, room - note.length))}${note}${tail}`;
}

/**
 * A body as it is sent to GitHub: without control characters, measured after escaping, and, when too long, its
 * visible part cut with a note and its hidden blocks kept whole. Blocks that alone
 * pass the limit are a bug in a budget, said with the sizes, never sent to be refused.
 */
export function sized(text: string): string {
  // A control character GitHub refuses (a NUL from an issue title the ledger lists, say) is never worth a refused write.
  const body = cleanText(text);
  if (body.length <= GITHUB_BODY_LIMIT) return body;
  const blocks = rawBlocks(body);
  const fitted = fitBody(stripBlocks(body), blocks);
  if (fitted.length > GITHUB_BODY_LIMIT) {
    throw new Error(`a comment's hidden records take ${blocks.join("").length} characters, past GitHub's ${GITHUB_BODY_LIMIT}: a record outgrew its budget`);
  }
  return fitted;
}

/** The most GitHub takes in an issue or PR title. */
export const GITHUB_TITLE_LIMIT = 256;

/** A title as it is sent to GitHub: without control characters, at most its 256 characters. */
export function titled(title: string): string {
  return clip(cleanText(title), GITHUB_TITLE_LIMIT);
}
