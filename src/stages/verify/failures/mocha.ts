import { firstText, indentOf } from "./excerpt.js";
import { jsExcerpt, userFrame } from "./js-frames.js";
import type { Found, Parser } from "./types.js";

/** A title can run over this many lines (one per enclosing suite) before its colon. */
const MAX_TITLE_LINES = 20;

/**
 * mocha's spec reporter: after `N failing`, numbered blocks whose title runs over
 * indented lines (suite, nested suites, test) and ends with a colon, then the
 * error, its diff and stack.
 */
export const mocha: Parser = {
  tool: "mocha",
  detects: (text) => /^[ \t]+\d+ (?:passing \(\d+m?s\)|failing)$/m.test(text),
  parse(lines) {
    const failures: Found[] = [];
    const start = lines.findIndex((l) => /^[ \t]+\d+ failing$/.test(l));
    if (start < 0) return failures;
    let block: { at: number; lines: string[] } | undefined;
    const close = () => {
      if (block) failures.push(failure(block.at, block.lines));
      block = undefined;
    };
    for (let i = start + 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (/^ {2}\d+\) /.test(line)) {
        close();
        block = { at: i, lines: [line.replace(/^ {2}\d+\) /, "")] };
      } else block?.lines.push(line);
    }
    close();
    return failures;
  },
};

function failure(at: number, block: readonly string[]): Found {
  const title: string[] = [];
  let i = 0;
  for (; i < block.length && i < MAX_TITLE_LINES; i++) {
    const part = (block[i] as string).trim();
    title.push(part.replace(/:$/, ""));
    if (part.endsWith(":")) break;
  }
  // mocha indents an error's own lines but not the rest of a multi-line message: undo its indent only.
  const rest = block.slice(i + 1);
  const indent = " ".repeat(indentOf(rest.find((l) => l.trim()) ?? ""));
  const body = rest.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
  const where = userFrame(body);
  return {
    tool: "mocha",
    at,
    test: title.join(" > "),
    message: firstText(body),
    file: where?.file,
    line: where?.line,
    column: where?.column,
    lines: jsExcerpt(body),
  };
}
