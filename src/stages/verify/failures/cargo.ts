import type { Found, Parser } from "./types.js";

const BLOCK = /^---- (.+) stdout ----$/;
const BLOCK_END = /^(?:---- .+ stdout ----|failures:|test result: .*|successes:)$/;
// Rust ≥1.73: `thread 'name' (id) panicked at src/lib.rs:15:9:` then the message; before: `… panicked at 'message', src/lib.rs:15:9`.
const PANIC = /^thread '(?:.*?)'(?: \(\d+\))? panicked at (.*)$/;
const COMPILE = /^error(?:\[(E\d+)\])?: (.*)$/;
const NOT_A_COMPILE_ERROR = /^error: (?:test failed|could not compile|aborting|\d+ targets? failed)/;

/**
 * `cargo test`: a `---- name stdout ----` block per failed test with the panic's
 * place and message (and `left`/`right` for assert_eq!), and rustc's
 * `error[E0308]: …` / ` --> file:line:col` blocks when the crate does not compile.
 */
export const cargo: Parser = {
  tool: "cargo",
  detects: (text) => /^(?:test result: (?:ok|FAILED)\. |error\[E\d+\]: |---- .+ stdout ----$|error: could not compile `)/m.test(text),
  parse(lines) {
    const failures: Found[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const block = BLOCK.exec(line);
      if (block) {
        const body: string[] = [];
        let j = i + 1;
        for (; j < lines.length && !BLOCK_END.test(lines[j] as string); j++) body.push(lines[j] as string);
        failures.push(testFailure(i, block[1] as string, body));
        i = j - 1;
        continue;
      }
      const compile = COMPILE.exec(line);
      if (compile && !NOT_A_COMPILE_ERROR.test(line)) {
        const body: string[] = [line];
        let j = i + 1;
        for (; j < lines.length && (lines[j] as string).trim() !== ""; j++) body.push(lines[j] as string);
        const arrow = /^\s*--> (.+):(\d+):(\d+)$/.exec(lines[i + 1] ?? "");
        failures.push({
          tool: "cargo",
          at: i,
          message: compile[1] ? `${compile[1]}: ${compile[2] as string}` : (compile[2] as string),
          file: arrow?.[1],
          line: arrow ? Number(arrow[2]) : undefined,
          column: arrow ? Number(arrow[3]) : undefined,
          lines: body,
        });
        i = j - 1;
      }
    }
    return failures;
  },
};

function testFailure(at: number, test: string, body: readonly string[]): Found {
  const panicAt = body.findIndex((l) => PANIC.test(l));
  if (panicAt < 0) {
    const text = body.filter((l) => l.trim());
    return { tool: "cargo", at, test, message: text[0]?.trim() ?? "failed", lines: text };
  }
  const rest = (PANIC.exec(body[panicAt] as string) as RegExpExecArray)[1] as string;
  const modern = /^(.+):(\d+):(\d+):$/.exec(rest);
  const legacy = modern ? null : /^'(.*)', (.+):(\d+):(\d+)$/.exec(rest);
  const after: string[] = [];
  for (const l of body.slice(panicAt + 1)) {
    if (l.trim() === "" || l.startsWith("note: run with `RUST_BACKTRACE")) break;
    after.push(l);
  }
  let message = modern ? (after[0]?.trim() ?? "panicked") : (legacy?.[1] ?? rest);
  const left = after.map((l) => /^\s*left: (.*)$/.exec(l)?.[1]).find((v) => v !== undefined);
  const right = after.map((l) => /^\s*right: (.*)$/.exec(l)?.[1]).find((v) => v !== undefined);
  if (left !== undefined && right !== undefined) message += ` (left: ${left}, right: ${right})`;
  return {
    tool: "cargo",
    at,
    test,
    message,
    file: modern?.[1] ?? legacy?.[2],
    line: modern ? Number(modern[2]) : legacy ? Number(legacy[3]) : undefined,
    column: modern ? Number(modern[3]) : legacy ? Number(legacy[4]) : undefined,
    lines: [...body.slice(0, panicAt).filter((l) => l.trim()), body[panicAt] as string, ...after],
  };
}
