/** Longest excerpt line kept: enough for a diff line, not for a minified bundle. */
const MAX_EXCERPT_LINE = 300;

/**
 * The excerpt as shown: blank lines trimmed at both ends and never doubled, the
 * common indentation removed, long lines cut, at most `max` lines.
 */
export function excerpt(lines: readonly string[], max: number): string[] {
  const kept: string[] = [];
  for (const line of lines) {
    if (kept.length >= max) break;
    const blank = line.trim() === "";
    if (blank && (kept.length === 0 || kept[kept.length - 1] === "")) continue;
    kept.push(blank ? "" : line.trimEnd());
  }
  while (kept.length && kept[kept.length - 1] === "") kept.pop();
  let indent = Infinity;
  for (const line of kept) if (line !== "") indent = Math.min(indent, indentOf(line));
  if (indent === Infinity) indent = 0;
  return kept.map((l) => {
    const line = l.slice(indent);
    return line.length > MAX_EXCERPT_LINE ? `${line.slice(0, MAX_EXCERPT_LINE)}…` : line;
  });
}

/** The first non-blank line, trimmed. */
export function firstText(lines: readonly string[]): string {
  for (const line of lines) if (line.trim()) return line.trim();
  return "";
}

/** Leading whitespace width (a tab counts as one). */
export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}
