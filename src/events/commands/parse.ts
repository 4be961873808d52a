import { Lexer } from "marked";

/**
 * Finds `/factory <command> [args]` lines in a comment. A command counts only at
 * the start of a line of a top-level paragraph, as GitHub renders the comment
 * (marked's lexer, GitHub-flavoured): never inside fenced or indented code, a quote
 * (lazy continuation lines included), a list or an HTML comment, so a comment that
 * talks about a command does not run it.
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
  if (!body || !body.includes("/factory")) return [];
  const found: ParsedCommand[] = [];
  for (const line of paragraphLines(body)) {
    const match = COMMAND.exec(line.replace(/\s+$/, ""));
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

/** The lines of the comment's top-level paragraphs, as written. */
function paragraphLines(body: string): string[] {
  const lines: string[] = [];
  for (const token of new Lexer({ gfm: true }).lex(body.replace(/\r\n?/g, "\n"))) {
    if (token.type === "paragraph" || token.type === "text") lines.push(...token.raw.split("\n"));
  }
  return lines;
}
