import type { Found, Parser } from "./types.js";

const PROBLEM = /^[ \t]+(\d+):(\d+)[ \t]+(error|warning)[ \t]+(.*)$/;
const RULE = / {2,}(@?[\w-]+(?:\/[\w-]+)*)$/;

/**
 * eslint's default (stylish) formatter: a file's path alone on a line, then
 * `line:col  severity  message  rule` lines. Warnings are failures only when the
 * run said so (`--max-warnings` exceeded).
 */
export const eslint: Parser = {
  tool: "eslint",
  detects: (text) => /^[ \t]+\d+:\d+[ \t]+(?:error|warning)[ \t]+\S/m.test(text),
  parse(lines) {
    const warningsFail = lines.some((l) => /^ESLint found too many warnings/.test(l));
    const failures: Found[] = [];
    let file: string | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const m = PROBLEM.exec(line);
      if (!m) {
        if (/^\S/.test(line)) file = line.startsWith("✖ ") ? undefined : line;
        continue;
      }
      // With no file line above (cut off with the start of a long log), the problem still counts.
      if (m[3] === "warning" && !warningsFail) continue;
      const text = m[4] as string;
      const rule = RULE.exec(text);
      const message = rule ? text.slice(0, rule.index).trim() : text.trim();
      failures.push({
        tool: "eslint",
        at: i,
        message: rule ? `${message} (${rule[1] as string})` : message,
        file,
        line: Number(m[1]),
        column: Number(m[2]),
        lines: [`${file ? `${file}:` : ""}${m[1] as string}:${m[2] as string}  ${m[3] as string}  ${text}`],
      });
    }
    return failures;
  },
};
