import { firstText } from "./excerpt.js";
import { jsExcerpt, userFrame } from "./js-frames.js";
import type { Found, Parser } from "./types.js";

const START = /^[ \t]*● (.+)$/;
const STOP = /^(?:FAIL|PASS) |^Test Suites:|^Summary of all failing tests$/;

/**
 * jest's default reporter: under each `FAIL file`, one `● suite › case` block per
 * failure (message, Expected/Received or diff, code frame, stack), and a
 * `● Test suite failed to run` block for a file that did not load.
 */
export const jest: Parser = {
  tool: "jest",
  detects: (text) => /^Test Suites:[ \t]+\d/m.test(text) || /^[ \t]*● .+ › /m.test(text),
  parse(lines) {
    const failures: Found[] = [];
    let file: string | undefined;
    let current: { at: number; name: string; file: string | undefined; body: string[] } | undefined;
    const close = () => {
      if (current && current.name !== "Console") failures.push(failure(current));
      current = undefined;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (STOP.test(line)) {
        close();
        // `FAIL [project] path [(1.2 s)]`: the path is the last word before the timing.
        file = line.startsWith("FAIL ") ? line.replace(/ \([\d.]+ m?s\)$/, "").split(/\s+/).pop() : undefined;
        continue;
      }
      const start = START.exec(line);
      if (start) {
        close();
        current = { at: i, name: start[1] as string, file, body: [] };
      } else current?.body.push(line);
    }
    close();
    return failures;
  },
};

function failure(block: { at: number; name: string; file: string | undefined; body: string[] }): Found {
  const where = userFrame(block.body);
  const message = firstText(block.body);
  // jest's matcher line says which matcher failed; its Expected/Received lines say how.
  const expected = block.body.map((l) => /^\s*Expected: (.+)$/.exec(l)?.[1]).find(Boolean);
  const received = block.body.map((l) => /^\s*Received: (.+)$/.exec(l)?.[1]).find(Boolean);
  const detail = expected !== undefined && received !== undefined ? ` (expected ${expected}, received ${received})` : "";
  return {
    tool: "jest",
    at: block.at,
    test: block.name === "Test suite failed to run" ? undefined : block.name.split(" › ").join(" > "),
    message: message + detail,
    file: where?.file ?? block.file,
    line: where?.line,
    column: where?.column,
    lines: jsExcerpt(block.body),
  };
}
