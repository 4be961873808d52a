/**
 * The hidden-block codec: `<!-- software-factory {json} -->` inside a comment body.
 *
 * The JSON escapes `<`, `>` and `&` (and the line separators JavaScript treats as
 * newlines) so no value can contain `-->` and close the block early.
 */

export const BLOCK_MARKER = "software-factory";

const OPEN = `<!-- ${BLOCK_MARKER} `;
const CLOSE = " -->";
// `>` is always escaped inside the JSON, so the first ` -->` ends the block.
const BLOCK_PATTERN = /<!-- software-factory (.+?) -->/gs;

export function escapeJson(json: string): string {
  return json
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** How many characters `text` takes inside a hidden block (JSON-escaped, `<` as `\u003c`, six for one). */
export function escapedLength(text: string): number {
  return escapeJson(JSON.stringify(text)).length - 2;
}

/**
 * The longest prefix of `text` that takes at most `max` characters inside a hidden
 * block (never splitting a surrogate pair): budgets for records are counted after
 * escaping, since a goal of 11,000 `<` is 66,000 characters there.
 */
export function cutEscaped(text: string, max: number): string {
  if (escapedLength(text) <= max) return text;
  // Cut only between code points: a lone surrogate costs six characters, a pair two, so prefixes grow evenly only at these.
  const ends: number[] = [0];
  for (const char of text) ends.push((ends[ends.length - 1] ?? 0) + char.length);
  let low = 0;
  let high = ends.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (escapedLength(text.slice(0, ends[mid])) <= max) low = mid;
    else high = mid - 1;
  }
  return text.slice(0, ends[low]);
}

/** Serialises a value into one hidden block. */
export function encodeBlock(value: unknown): string {
  return `${OPEN}${escapeJson(JSON.stringify(value))}${CLOSE}`;
}

export type DecodedBlock =
  | { ok: true; value: unknown; index: number }
  | { ok: false; error: string; index: number };

/**
 * Finds every hidden block in a body, in order. A block whose JSON does not
 * parse is returned as an error (with its position) so the caller can report it.
 */
export function decodeBlocks(body: string | null | undefined): DecodedBlock[] {
  if (!body) return [];
  const found: DecodedBlock[] = [];
  for (const match of body.matchAll(BLOCK_PATTERN)) {
    const index = match.index;
    try {
      found.push({ ok: true, value: JSON.parse(match[1] ?? ""), index });
    } catch (error) {
      found.push({ ok: false, error: `hidden block at offset ${index} is not JSON: ${(error as Error).message}`, index });
    }
  }
  return found;
}

/** Every hidden block in a body exactly as written, for re-rendering a view without touching its records. */
export function rawBlocks(body: string): string[] {
  return [...body.matchAll(BLOCK_PATTERN)].map((match) => match[0]);
}

/** The body with every hidden block removed: the part a person sees. */
export function stripBlocks(body: string): string {
  return body.replace(BLOCK_PATTERN, "").trimEnd();
}

/** Neutralises anything in untrusted text that could open or close a hidden block. */
export function defangUserText(text: string): string {
  return text.replace(/<!--/g, "&lt;!--").replace(/-->/g, "--&gt;");
}
