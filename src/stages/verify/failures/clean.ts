/** Only the end of a log is read: runners report failures last, and logs can be megabytes. */
export const MAX_INPUT = 2_000_000;
/** Longer lines (minified code, base64 blobs) are cut, which also bounds every per-line regex. */
export const MAX_LINE = 4_000;

// eslint-disable-next-line no-control-regex -- matching terminal escape codes is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const ACTIONS_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;
const ACTIONS_MARKER = /^##\[(group|endgroup|error|warning|notice|debug|command|section)\]/;

/**
 * Output as plain lines: the last 2 MB, without a byte-order mark, GitHub Actions'
 * timestamps and `##[…]` markers, ANSI colour codes, carriage-return progress
 * redraws or trailing spaces. `##[endgroup]` lines are dropped; the text after other
 * markers (`Run npm test`, `Process completed with exit code 1.`) is kept.
 */
export function cleanLines(output: string): string[] {
  let text = output;
  if (text.length > MAX_INPUT) {
    text = text.slice(text.length - MAX_INPUT);
    // The first line was cut somewhere in its middle.
    text = text.slice(text.indexOf("\n") + 1);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw;
    line = line.replace(ACTIONS_STAMP, "");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const cr = line.lastIndexOf("\r");
    if (cr >= 0) line = line.slice(cr + 1);
    line = line.replace(ANSI, "");
    const marker = ACTIONS_MARKER.exec(line);
    if (marker) {
      if (marker[1] === "endgroup") continue;
      line = line.slice(marker[0].length);
    }
    lines.push(line.trimEnd());
  }
  return lines;
}
