import type { Found, Parser } from "./types.js";

const SECTION = /^=+ (FAILURES|ERRORS) =+$/;
const HEADER = /^_{2,} (.+?) _{2,}$/;
// `path.py:12: AssertionError`, `path.py:9: in parse_theme`, or a bare `path.py:5:`.
const LOCATION = /^(\S+\.py):(\d+):(?: (.*))?$/;

/**
 * pytest's default report: `FAILURES` and `ERRORS` sections of blocks headed
 * `____ name ____`, each a traceback whose `E` lines hold the exception and whose
 * `path.py:line:` lines say where; the `short test summary info` gives each full
 * test id (`tests/test_x.py::TestY::test_z[param]`).
 */
export const pytest: Parser = {
  tool: "pytest",
  detects: (text) =>
    /^=+ (?:test session starts|FAILURES|ERRORS|short test summary info) =+$/m.test(text) ||
    /^(?:FAILED|ERROR) \S+\.py(?:::| |$)/m.test(text) ||
    /^=* ?\d+ (?:passed|failed|errors?)(?:, \d+ \w+)* in [\d.]+s(?: \([\d:]+\))? ?=*$/m.test(text),
  root(lines) {
    for (const line of lines) {
      const m = /^rootdir: (\/\S*)/.exec(line);
      if (m) return m[1];
    }
    return undefined;
  },
  parse(lines) {
    const ids = summaryIds(lines);
    const failures: Found[] = [];
    let section = false;
    let current: { at: number; name: string; body: string[] } | undefined;
    const close = () => {
      if (current) failures.push(failure(current, ids));
      current = undefined;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (SECTION.test(line)) {
        close();
        section = true;
        continue;
      }
      // Any other `=== … ===` banner (the short summary, the closing counts) ends the section.
      if (line.startsWith("==")) {
        close();
        section = false;
        continue;
      }
      if (!section) continue;
      const header = HEADER.exec(line);
      if (header) {
        close();
        current = { at: i, name: header[1] as string, body: [] };
      } else current?.body.push(line);
    }
    close();
    return failures;
  },
};

/** Test ids from `FAILED id - message` / `ERROR id` lines, by the name a block header shows. */
function summaryIds(lines: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const line of lines) {
    const m = /^(?:FAILED|ERROR) (\S+)/.exec(line);
    if (!m) continue;
    const id = m[1] as string;
    const parts = id.split("::");
    // A block is headed `Class.test` for `file.py::Class::test`, and `file.py` for a collection error.
    ids.set(parts.length > 1 ? parts.slice(1).join(".") : id, id);
  }
  return ids;
}

function failure(block: { at: number; name: string; body: string[] }, ids: Map<string, string>): Found {
  const phase = /^ERROR (?:at (setup|teardown) of|collecting) (.+)$/.exec(block.name);
  const name = phase ? (phase[2] as string) : block.name;
  const errors = block.body.filter((l) => /^E(?: |$)/.test(l));
  const locations = block.body.map((l) => LOCATION.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  // The innermost frame in the project: pytest prints paths under rootdir relatively.
  const project = locations.filter((m) => !(m[1] as string).startsWith("/") && !(m[1] as string).includes("site-packages/"));
  const where = project[project.length - 1] ?? locations[locations.length - 1];
  const exception = errors[0]?.replace(/^E\s*/, "");
  const test = phase?.[0].startsWith("ERROR collecting") ? undefined : (ids.get(name) ?? name);
  return {
    tool: "pytest",
    at: block.at,
    test,
    message: `${exception ?? where?.[3] ?? "failed"}${phase?.[1] ? ` (in ${phase[1]})` : ""}`,
    file: where?.[1] ?? (test === undefined ? name : undefined),
    line: where ? Number(where[2]) : undefined,
    lines: [...source(block.body, where), ...errors, ...(where ? [where[0]] : [])],
  };
}

/**
 * The failing line of source. When the exception came from a library the project
 * called, the last `>` line is the library's: show the project's call instead, the
 * source line printed under its location.
 */
function source(body: readonly string[], where: RegExpExecArray | undefined): string[] {
  const whereAt = where ? body.indexOf(where[0]) : -1;
  const lastPointer = body.reduce((last, l, i) => (l.startsWith("> ") ? i : last), -1);
  if (whereAt >= 0 && lastPointer > whereAt) {
    const code = body.slice(whereAt + 1).find((l) => l.trim() && !/^\s*\^+$/.test(l));
    return code ? [code] : [];
  }
  return lastPointer >= 0 ? [body[lastPointer] as string] : [];
}
