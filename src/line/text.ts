import { createHash } from "node:crypto";
import anyAscii from "any-ascii";

/**
 * Text from people (issue titles and bodies, comments, reviews, config values) as
 * the line keeps it: control characters nobody means (C0 except tab and newline,
 * DEL, the Unicode non-characters) removed and line ends made `\n`. A NUL in a
 * title would otherwise fail the commit that opens the branch.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g;

export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(CONTROL, "");
}

/** At most `max` characters, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && /[\ud800-\udbff]/.test(text[max - 1] ?? "") ? max - 1 : max;
  return text.slice(0, end);
}

/** The longest prefix of `text` that fits in `bytes` UTF-8 bytes, never cutting a character. */
export function cutToBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= bytes) return text;
  let end = bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && ((buffer[end] as number) & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString("utf8");
}

/**
 * A slug of at most `max` characters from text in any script: transliterated to
 * ASCII (`Тёмная тема` → `temnaya-tema`), lower case, words joined by `-`. Text with
 * nothing to transliterate (symbols only) gets a stable short hash of itself, so a
 * slug is never empty.
 */
export function slugOf(text: string, max = 40): string {
  const words = anyAscii(cleanText(text))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean);
  let slug = "";
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word.slice(0, max);
    if (next.length > max) break;
    slug = next;
  }
  return slug || `x${createHash("sha256").update(text).digest("hex").slice(0, 7)}`;
}

/**
 * Untrusted text shown inside an inline code span: clipped, on one line, with the
 * characters that could end the span or open a hidden block (backticks, `<`, `>`)
 * replaced by look-alikes. A key named `<!-- software-factory` is shown, harmless.
 */
export function codeSpan(text: string, max = 80): string {
  const flat = cleanText(text).replace(/\s+/g, " ");
  const shown = flat.length > max ? `${clip(flat, max)}…` : flat;
  return `\`${shown.replace(/`/g, "ˋ").replace(/</g, "‹").replace(/>/g, "›")}\``;
}
