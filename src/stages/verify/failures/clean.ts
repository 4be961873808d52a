/** Inputs are capped: a verifier reads the end of a log, where failures are reported. */
export const MAX_INPUT = 2_000_000;

// eslint-disable-next-line no-control-regex -- matching terminal escape codes is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
const ACTIONS_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;

/**
 * Output as plain lines: the last 2 MB, without ANSI colour codes, GitHub Actions'
 * timestamps and `##[group]` markers, or carriage-return progress redraws.
 */
export function cleanLines(output: string): string[] {
  const text = output.length > MAX_INPUT ? output.slice(output.length - MAX_INPUT) : output;
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.replace(ANSI, "");
    const cr = line.lastIndexOf("\r");
    if (cr >= 0) line = cr === line.length - 1 ? line.slice(0, cr) : line.slice(cr + 1);
    line = line.replace(ACTIONS_STAMP, "");
    if (/^##\[(group|endgroup)\]/.test(line)) continue;
    lines.push(line.replace(/\s+$/, ""));
  }
  return lines;
}

/** A file path as the project sees it: `file://` and absolute prefixes up to a known root removed. */
export function projectPath(path: string): string {
  return path.replace(/^file:\/\//, "");
}

/** The first non-empty line of a block, trimmed. */
export function firstLine(lines: readonly string[]): string {
  return (lines.find((l) => l.trim()) ?? "").trim();
}

/** Drops blank lines at both ends and caps the excerpt. */
export function excerpt(lines: readonly string[], max: number): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && !lines[start]?.trim()) start++;
  while (end > start && !lines[end - 1]?.trim()) end--;
  return lines.slice(start, Math.min(end, start + max));
}
