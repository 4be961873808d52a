/**
 * Finds `/factory <command> [args]` lines in a comment. A command counts only at
 * the start of a line, outside fenced or indented code and outside quotes, so a
 * comment that talks about a command does not run it.
 */

export interface ParsedCommand {
  name: string;
  args: string[];
  /** The line as written, for replies. */
  line: string;
}

export const MAX_COMMANDS_PER_COMMENT = 3;

const COMMAND = /^ {0,3}\/factory(?:\s+(.*))?$/;

export function parseCommands(body: string | null | undefined): ParsedCommand[] {
  if (!body) return [];
  const found: ParsedCommand[] = [];
  let fence: string | undefined;
  const text = body.replace(/<!--[\s\S]*?-->/g, "");
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, "");
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      const marker = (fenceMatch[1] ?? "")[0];
      fence = fence === undefined ? marker : marker === fence ? undefined : fence;
      continue;
    }
    if (fence !== undefined) continue;
    const match = COMMAND.exec(line);
    if (!match) continue;
    // Names and arguments are echoed in replies: keep only characters that cannot shape Markdown or HTML.
    const words = (match[1] ?? "")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => word.replace(/[^\w.-]/g, "").slice(0, 40));
    found.push({ name: (words[0] || "help").toLowerCase(), args: words.slice(1), line: line.trim() });
    if (found.length === MAX_COMMANDS_PER_COMMENT) break;
  }
  return found;
}
