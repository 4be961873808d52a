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
  /**
   * The lines of the same paragraph that follow the command, up to the next command:
   * the rest of a free-text command's text (`/factory revise` and its guidance on the
   * lines below). Absent when there are none.
   */
  continuation?: string | undefined;
}

export const MAX_COMMANDS_PER_COMMENT = 3;

const COMMAND = /^ {0,3}\/factory(?:\s+(.*))?$/;

export function parseCommands(body: string | null | undefined): ParsedCommand[] {
  if (!body || !body.includes("/factory")) return [];
  const found: ParsedCommand[] = [];
  for (const paragraph of paragraphs(body)) {
    let last: { command: ParsedCommand; more: string[] } | undefined;
    const close = () => {
      const more = last?.more.join("\n").trim();
      if (last && more) last.command.continuation = more;
    };
    for (const line of paragraph) {
      const match = COMMAND.exec(line.replace(/\s+$/, ""));
      if (!match) {
        last?.more.push(line);
        continue;
      }
      close();
      if (found.length === MAX_COMMANDS_PER_COMMENT) return found;
      // Names and arguments are echoed in replies: keep only characters that cannot shape Markdown or HTML.
      const words = (match[1] ?? "")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => word.replace(/[^\w.-]/g, "").slice(0, 40));
      last = { command: { name: (words[0] || "help").toLowerCase(), args: words.slice(1), line: line.trim() }, more: [] };
      found.push(last.command);
    }
    close();
  }
  return found;
}

/**
 * The comment's top-level paragraphs, each as its lines as written. Only the blocks
 * are read: the inline pass (emphasis, links) tells nothing about where a line is,
 * and costs seconds on some 64 KB comments (`a_a_a_…`), before the webhook is
 * answered. Markdown nested thousands deep overflows the lexer's stack: that throws
 * `RangeError`, for the caller to report.
 */
function paragraphs(body: string): string[][] {
  const found: string[][] = [];
  for (const token of new Lexer({ gfm: true }).blockTokens(body.replace(/\r\n?/g, "\n"), [])) {
    if (token.type === "paragraph" || token.type === "text") found.push(token.raw.replace(/\n+$/, "").split("\n"));
  }
  return found;
}
