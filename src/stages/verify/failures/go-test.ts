import type { Found, Parser } from "./types.js";

const RESULT = /^\s*--- (FAIL|PASS|SKIP): (\S+) \(/;
const EVENT = /^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)/;
const PACKAGE_END = /^(?:FAIL|ok|PASS)(?:\s|$)|^exit status \d+$/;
const LOG = /^\s*(\S+\.go):(\d+): (.*)$/;
const BUILD = /^(\S+\.go):(\d+):(\d+): (.*)$/;
// A panic's frame line: a tab, then `/abs/path/file.go:line +0x1b`.
const FRAME = /^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/;

interface Segment {
  /** Failed tests by name, in the order reported, with the line of their `--- FAIL`. */
  failed: Map<string, number>;
  output: Map<string, string[]>;
}

/**
 * `go test`, plain or `-v`: a test's log lines (`file_test.go:12: message`) follow
 * its `--- FAIL: Name` line, or, with -v, its `=== RUN Name` line; a panic follows
 * the failing test with a goroutine trace. Compile errors (`./file.go:4:21: …`) fail
 * a package before any test runs.
 */
export const goTest: Parser = {
  tool: "go",
  detects: (text) => /^[ \t]*--- FAIL: \S|^(?:FAIL|ok)[ \t]+\S+[ \t]+(?:[\d.]+s|\(cached\)|\[build failed\])|^=== RUN[ \t]/m.test(text),
  parse(lines) {
    const failures: Found[] = [];
    let segment: Segment = { failed: new Map(), output: new Map() };
    let current: string | undefined;
    let panicking = false;
    const flush = () => {
      failures.push(...segmentFailures(segment));
      segment = { failed: new Map(), output: new Map() };
      current = undefined;
      panicking = false;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const result = RESULT.exec(line);
      if (result) {
        current = result[2] as string;
        panicking = false;
        if (result[1] === "FAIL" && !segment.failed.has(current)) segment.failed.set(current, i);
        continue;
      }
      const event = EVENT.exec(line);
      if (event) {
        if (event[1] !== "PAUSE") current = event[2] as string;
        continue;
      }
      if (PACKAGE_END.test(line)) {
        flush();
        continue;
      }
      const build = BUILD.exec(line);
      if (build && !panicking) {
        failures.push({ tool: "go", at: i, message: build[4] as string, file: (build[1] as string).replace(/^\.\//, ""), line: Number(build[2]), column: Number(build[3]), lines: [line] });
        continue;
      }
      if (!current) continue;
      if (line.startsWith("panic: ")) panicking = true;
      if (panicking || /^\s+\S/.test(line)) {
        const output = segment.output.get(current) ?? [];
        output.push(line);
        segment.output.set(current, output);
      }
    }
    flush();
    return failures;
  },
};

function segmentFailures(segment: Segment): Found[] {
  const found: Found[] = [];
  const parents = new Set<string>();
  for (const name of segment.failed.keys()) {
    for (let slash = name.indexOf("/"); slash >= 0; slash = name.indexOf("/", slash + 1)) parents.add(name.slice(0, slash));
  }
  for (const [name, at] of segment.failed) {
    const output = segment.output.get(name) ?? [];
    // A parent that failed only because a subtest did says nothing of its own.
    if (output.length === 0 && parents.has(name)) continue;
    const panicAt = output.findIndex((l) => l.startsWith("panic: "));
    const logs = panicAt >= 0 ? output.slice(0, panicAt) : output;
    const log = logs.map((l) => LOG.exec(l)).find((m) => m !== null);
    if (panicAt >= 0) {
      const frame = panicFrame(output.slice(panicAt));
      found.push({
        tool: "go",
        at,
        test: name,
        message: (output[panicAt] as string).replace(/ \[recovered\]$/, ""),
        file: frame?.file ?? log?.[1],
        line: frame?.line ?? (log ? Number(log[2]) : undefined),
        lines: [...logs, output[panicAt] as string, ...(frame ? frame.lines : [])],
      });
      continue;
    }
    found.push({ tool: "go", at, test: name, message: log?.[3] ?? logs[0]?.trim() ?? "failed", file: log?.[1], line: log ? Number(log[2]) : undefined, lines: logs });
  }
  return found;
}

/** The innermost frame of a panic's trace outside Go's own sources and the module cache. */
function panicFrame(trace: readonly string[]): { file: string; line: number; lines: string[] } | undefined {
  const goroot = trace.map((l) => /^\t(\S+?)\/src\/(?:runtime|testing)\/\S+\.go:\d+/.exec(l)?.[1]).find(Boolean);
  for (let i = 0; i < trace.length; i++) {
    const m = FRAME.exec(trace[i] as string);
    if (!m) continue;
    const file = m[1] as string;
    if ((goroot && file.startsWith(`${goroot}/`)) || file.includes("/pkg/mod/")) continue;
    return { file, line: Number(m[2]), lines: [trace[i - 1] ?? "", trace[i] as string] };
  }
  return undefined;
}
