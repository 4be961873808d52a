import type { Found, Parser } from "./types.js";

// `file(line,col): error TSn: text` (--pretty false, and off a TTY) or `file:line:col - error TSn: text` (pretty).
const PLAIN = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const PRETTY = /^(.+?):(\d+):(\d+) - error (TS\d+): (.*)$/;
const GLOBAL = /^error (TS\d+): (.*)$/;
const END = /^Found \d+ errors?\b|^Errors {2}Files$/;

/**
 * The TypeScript compiler: one failure per error, with its elaboration lines and,
 * when pretty, the code frame and related locations that follow.
 */
export const tsc: Parser = {
  tool: "tsc",
  detects: (text) => text.includes("error TS") && /error TS\d+: /.test(text),
  parse(lines) {
    const failures: Found[] = [];
    let current: Found | undefined;
    let pretty = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const plain = PLAIN.exec(line);
      const fancy = plain ? null : PRETTY.exec(line);
      const global = plain || fancy ? null : GLOBAL.exec(line);
      const m = plain ?? fancy;
      if (m || global) {
        pretty = fancy !== null;
        current = m
          ? { tool: "tsc", at: i, message: `${m[4] as string}: ${m[5] as string}`, file: m[1], line: Number(m[2]), column: Number(m[3]), lines: [line] }
          : { tool: "tsc", at: i, message: `${global?.[1] as string}: ${global?.[2] as string}`, lines: [line] };
        failures.push(current);
        continue;
      }
      if (!current) continue;
      if (END.test(line)) {
        current = undefined;
        continue;
      }
      // Plain output continues an error only with indented elaboration lines; pretty output runs to the next error.
      if (pretty || /^ {2}\S/.test(line)) current.lines.push(line);
      else current = undefined;
    }
    return failures;
  },
};
