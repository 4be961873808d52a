import type { Failure, Parser } from "./types.js";

/** `at fn (path:line:col)` or `at path:line:col`, outside node's internals and node_modules. */
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

export function userFrame(lines: readonly string[], prefer?: string): { file: string; line: number; column: number } | undefined {
  let first: { file: string; line: number; column: number } | undefined;
  for (const l of lines) {
    const t = l.trim();
    if (!/^(at |❯ )/.test(t)) continue;
    const m = FRAME.exec(t);
    if (!m) continue;
    const file = (m[1] as string).replace(/^file:\/\//, "");
    if (file.startsWith("node:") || file.includes("node_modules/") || file === "<anonymous>") continue;
    const hit = { file, line: Number(m[2]), column: Number(m[3]) };
    if (prefer && file.endsWith(prefer)) return hit;
    first ??= hit;
  }
  return first;
}

/** Splits lines into blocks that start where `start` matches. */
function blocks(lines: readonly string[], start: (line: string) => boolean, stop: (line: string) => boolean = () => false): string[][] {
  const out: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (start(line)) {
      current = [line];
      out.push(current);
    } else if (current) {
      if (stop(line)) current = undefined;
      else current.push(line);
    }
  }
  return out;
}

const body = (block: readonly string[]) => block.slice(1);
const firstText = (block: readonly string[]) => (block.find((l) => l.trim()) ?? "").trim();

export const vitest: Parser = {
  tool: "vitest",
  detects: (text) => /^\s*(RUN\s+v\d|Test Files\s+.*\d)/m.test(text) || text.includes("⎯⎯ Failed Tests"),
  parse(lines) {
    const failures: Failure[] = [];
    const start = lines.findIndex((l) => /⎯ Failed Tests \d+|⎯ Failed Suites \d+/.test(l));
    const section = start >= 0 ? lines.slice(start) : lines;
    for (const block of blocks(section, (l) => /^\s*FAIL\s+\S/.test(l), (l) => /^\s*(Test Files|⎯+\s*$)/.test(l))) {
      const header = (block[0] as string).trim().replace(/^FAIL\s+/, "");
      const suite = /^(\S+)\s+\[\s*\S+\s*\]$/.exec(header);
      const [file, ...names] = suite ? [suite[1] as string] : header.split(" > ");
      const rest = body(block).filter((l) => !/^⎯+(\[\d+\/\d+\])?⎯*$/.test(l.trim()));
      const where = userFrame(rest, file);
      failures.push({
        tool: "vitest",
        test: names.length ? names.join(" > ") : undefined,
        message: firstText(rest),
        file: where?.file ?? file,
        line: where?.line,
        column: where?.column,
        lines: rest,
      });
    }
    return failures;
  },
};

export const jest: Parser = {
  tool: "jest",
  detects: (text) => /^Test Suites:\s.*total/m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    for (const block of blocks(lines, (l) => /^\s*● /.test(l), (l) => /^(Test Suites:|Tests:)/.test(l))) {
      const name = (block[0] as string).trim().replace(/^● /, "");
      const rest = body(block);
      const where = userFrame(rest);
      failures.push({
        tool: "jest",
        test: name === "Test suite failed to run" ? undefined : name.split(" › ").join(" > "),
        message: firstText(rest),
        file: where?.file,
        line: where?.line,
        column: where?.column,
        lines: rest,
      });
    }
    return failures;
  },
};

export const mocha: Parser = {
  tool: "mocha",
  detects: (text) => /^\s+\d+ (passing|failing)( \(\d+m?s\))?$/m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    const start = lines.findIndex((l) => /^\s+\d+ failing$/.test(l));
    if (start < 0) return failures;
    for (const block of blocks(lines.slice(start + 1), (l) => /^\s{2}\d+\) /.test(l))) {
      // The title runs over indented lines and ends with a colon.
      const titleParts: string[] = [];
      let i = 0;
      for (; i < block.length; i++) {
        const t = (block[i] as string).trim().replace(/^\d+\) /, "");
        titleParts.push(t.replace(/:$/, ""));
        if (t.endsWith(":")) break;
      }
      const rest = block.slice(i + 1);
      const where = userFrame(rest);
      failures.push({ tool: "mocha", test: titleParts.join(" > "), message: firstText(rest), file: where?.file, line: where?.line, column: where?.column, lines: rest });
    }
    return failures;
  },
};

/** node's test runner: TAP (its reporter when not on a TTY) and spec. */
export const nodeTest: Parser = {
  tool: "node-test",
  detects: (text) => /^TAP version 13$/m.test(text) || /^ℹ tests \d+$/m.test(text),
  parse(lines) {
    return lines.some((l) => l === "TAP version 13") ? parseTap(lines) : parseSpec(lines);
  },
};

function yamlValue(block: readonly string[], key: string): { value: string; lines: string[] } | undefined {
  const index = block.findIndex((l) => new RegExp(`^\\s*${key}: `).test(l));
  if (index < 0) return undefined;
  const line = block[index] as string;
  const indent = line.length - line.trimStart().length;
  const raw = line.trim().slice(key.length + 2);
  if (raw === "|-" || raw === "|" || raw === ">-") {
    const out: string[] = [];
    for (const l of block.slice(index + 1)) {
      if (l.trim() && l.length - l.trimStart().length <= indent) break;
      out.push(l.slice(indent + 2));
    }
    return { value: (out.find((l) => l.trim()) ?? "").trim(), lines: out };
  }
  const value = raw.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1").replace(/''/g, "'");
  return { value, lines: [value] };
}

function parseTap(lines: readonly string[]): Failure[] {
  const failures: Failure[] = [];
  const stack: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const depth = Math.floor((line.length - line.trimStart().length) / 4);
    const subtest = /^\s*# Subtest: (.*)$/.exec(line);
    if (subtest) {
      stack.length = depth;
      stack[depth] = subtest[1] as string;
      continue;
    }
    const result = /^\s*not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (!result) continue;
    const yaml: string[] = [];
    if (lines[i + 1]?.trim() === "---") {
      for (let j = i + 2; j < lines.length && lines[j]?.trim() !== "..."; j++) yaml.push(lines[j] as string);
    }
    if (yamlValue(yaml, "failureType")?.value === "subtestsFailed") continue;
    const name = [...stack.slice(0, depth), result[1] as string].join(" > ");
    const error = yamlValue(yaml, "error");
    const kind = yamlValue(yaml, "name")?.value;
    const stackLines = yamlValue(yaml, "stack")?.lines ?? [];
    const frame = userFrame(stackLines.map((l) => `at ${l.trim()}`));
    const location = /^(?:file:\/\/)?(.*):(\d+):(\d+)$/.exec(yamlValue(yaml, "location")?.value ?? "");
    const message = error ? `${kind && !error.value.startsWith(kind) ? `${kind}: ` : ""}${error.value}` : "failed";
    failures.push({
      tool: "node-test",
      test: name,
      message,
      file: frame?.file ?? location?.[1],
      line: frame?.line ?? (location ? Number(location[2]) : undefined),
      column: frame?.column ?? (location ? Number(location[3]) : undefined),
      lines: error?.lines.map((l) => l.trimEnd()) ?? [],
    });
  }
  return failures;
}

function parseSpec(lines: readonly string[]): Failure[] {
  const failures: Failure[] = [];
  const start = lines.findIndex((l) => /^✖ failing tests:/.test(l));
  if (start < 0) return failures;
  for (const block of blocks(lines.slice(start + 1), (l) => /^test at /.test(l))) {
    const title = (block[1] ?? "").trim().replace(/^✖ /, "").replace(/ \([\d.]+m?s\)$/, "");
    const rest = block.slice(2);
    const where = userFrame(rest) ?? (() => {
      const m = /^test at (.*):(\d+):(\d+)$/.exec(block[0] as string);
      return m ? { file: m[1] as string, line: Number(m[2]), column: Number(m[3]) } : undefined;
    })();
    failures.push({ tool: "node-test", test: title, message: firstText(rest), file: where?.file, line: where?.line, column: where?.column, lines: rest });
  }
  return failures;
}
