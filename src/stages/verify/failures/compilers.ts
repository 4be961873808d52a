import type { Failure, Parser } from "./types.js";

export const tsc: Parser = {
  tool: "tsc",
  detects: (text) => /error TS\d+: /.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      // `file(l,c): error TSn: …` (--pretty false) or `file:l:c - error TSn: …` (pretty).
      const m = /^(\S.*?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line) ?? /^(\S.*?):(\d+):(\d+) - error (TS\d+: .*)$/.exec(line);
      if (!m) continue;
      const frame: string[] = [];
      for (let j = i + 1; j < lines.length && frame.length < 6; j++) {
        const next = lines[j] as string;
        if (/^\S.*(\(\d+,\d+\): error|:\d+:\d+ - error)/.test(next) || /^Found \d+ error/.test(next)) break;
        frame.push(next);
      }
      failures.push({ tool: "tsc", message: m[4] as string, file: m[1], line: Number(m[2]), column: Number(m[3]), lines: [line, ...frame] });
    }
    return failures;
  },
};

/** eslint's default (stylish) formatter: a path line, then `line:col  error  message  rule` lines. Warnings are not failures. */
export const eslint: Parser = {
  tool: "eslint",
  detects: (text) => /^\s+\d+:\d+\s+(error|warning)\s+\S/m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    let file: string | undefined;
    for (const line of lines) {
      if (/^\S/.test(line) && !/^✖ /.test(line) && !/^\(node:/.test(line)) file = line.trim();
      const m = /^\s+(\d+):(\d+)\s+error\s+(.*?)(?:\s{2,}(\S+))?$/.exec(line);
      if (!m || !file) continue;
      failures.push({ tool: "eslint", message: `${m[3] as string}${m[4] ? ` (${m[4]})` : ""}`, file, line: Number(m[1]), column: Number(m[2]), lines: [line.trim()] });
    }
    return failures;
  },
};

export const pytest: Parser = {
  tool: "pytest",
  detects: (text) => /^=+ (FAILURES|ERRORS|short test summary info|.*\d+ (passed|failed|error))/m.test(text) || /^(FAILED|ERROR) \S+::/m.test(text) || /^\d+ (passed|failed)(, \d+ \w+)* in [\d.]+s$/m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    const ids = new Map<string, string>();
    for (const line of lines) {
      const m = /^(?:FAILED|ERROR) (\S+?)::(\S+)/.exec(line);
      if (m) ids.set((m[2] as string).split("::").pop() as string, `${m[1] as string}::${m[2] as string}`);
    }
    let current: { name: string; block: string[] } | undefined;
    const flush = () => {
      if (!current) return;
      const { name, block } = current;
      const errors = block.filter((l) => /^E\s/.test(l)).map((l) => l.replace(/^E\s+/, ""));
      const locations = block.map((l) => /^(\S+\.py):(\d+):(?: (.*))?$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
      const where = locations.find((m) => !(m[1] as string).startsWith("/")) ?? locations[locations.length - 1];
      const pointer = block.filter((l) => /^>\s/.test(l)).map((l) => l.trim());
      failures.push({
        tool: "pytest",
        test: ids.get(name) ?? name,
        message: errors[0] ?? where?.[3] ?? "failed",
        file: where?.[1],
        line: where ? Number(where[2]) : undefined,
        lines: [...pointer.slice(0, 2), ...errors.map((l) => `E ${l}`)],
      });
      current = undefined;
    };
    let inFailures = false;
    for (const line of lines) {
      if (/^=+ (FAILURES|ERRORS) =+$/.test(line)) {
        inFailures = true;
        continue;
      }
      if (/^=+ /.test(line)) {
        flush();
        inFailures = false;
        continue;
      }
      if (!inFailures) continue;
      const header = /^_{3,} (.+?) _{3,}$/.exec(line);
      if (header && !/^_ _/.test(line)) {
        flush();
        current = { name: (header[1] as string).replace(/^ERROR (at setup|collecting) (of )?/, ""), block: [] };
      } else current?.block.push(line);
    }
    flush();
    return failures;
  },
};

export const goTest: Parser = {
  tool: "go",
  detects: (text) => /^\s*--- FAIL: |^FAIL\s+\S+\s+[\d.]+s$|^ok\s+\S+\s+[\d.]+s/m.test(text) || /^# \S+\n\S+\.go:\d+:\d+: /m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const fail = /^(\s*)--- FAIL: (\S+) \([\d.]+s\)$/.exec(line);
      if (fail) {
        const indent = (fail[1] as string).length;
        const block: string[] = [];
        for (let j = i + 1; j < lines.length; j++) {
          const next = lines[j] as string;
          if (/^\s*(--- (FAIL|PASS|SKIP)|=== RUN|FAIL$|FAIL\s|ok\s|PASS$)/.test(next) && next.length - next.trimStart().length <= indent + 4 && !/^\s{8,}/.test(next)) break;
          block.push(next.trim());
        }
        const at = block.map((l) => /^(\S+\.go):(\d+): (.*)$/.exec(l)).find((m) => m !== null);
        // A parent whose only failure is its subtest's adds nothing of its own.
        if (!at && block.length === 0) continue;
        failures.push({ tool: "go", test: fail[2], message: at?.[3] ?? block[0] ?? "failed", file: at?.[1], line: at ? Number(at[2]) : undefined, lines: block });
        continue;
      }
      const build = /^(\S+\.go):(\d+):(\d+): (.*)$/.exec(line);
      if (build && !failures.some((f) => f.file === build[1] && f.line === Number(build[2]))) {
        failures.push({ tool: "go", message: build[4] as string, file: build[1], line: Number(build[2]), column: Number(build[3]), lines: [line] });
      }
    }
    return failures;
  },
};

export const cargo: Parser = {
  tool: "cargo",
  detects: (text) => /^test result: (FAILED|ok)\. /m.test(text) || /^error(\[E\d+\])?: /m.test(text),
  parse(lines) {
    const failures: Failure[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const out = /^---- (\S+) stdout ----$/.exec(line);
      if (out) {
        const block: string[] = [];
        for (let j = i + 1; j < lines.length && !/^(---- \S+ stdout ----|failures:)$/.test(lines[j] as string); j++) {
          if (!/^note: run with `RUST_BACKTRACE/.test(lines[j] as string)) block.push(lines[j] as string);
        }
        const panicIndex = block.findIndex((l) => /panicked at /.test(l));
        const panic = panicIndex >= 0 ? (block[panicIndex] as string) : "";
        // Newer: `panicked at src/lib.rs:17:9:` then the message; older: `panicked at 'msg', src/lib.rs:17:9`.
        const modern = /panicked at (\S+?):(\d+):(\d+):$/.exec(panic);
        const legacy = /panicked at '(.*)', (\S+?):(\d+):(\d+)$/.exec(panic);
        const message = modern ? (block[panicIndex + 1] ?? "").trim() : (legacy?.[1] ?? block.find((l) => l.trim()) ?? "failed");
        const trimmed = block.slice(Math.max(0, panicIndex)).filter((l, k, all) => l.trim() || (k > 0 && all[k - 1]?.trim()));
        failures.push({
          tool: "cargo",
          test: out[1],
          message,
          file: modern?.[1] ?? legacy?.[2],
          line: modern ? Number(modern[2]) : legacy ? Number(legacy[3]) : undefined,
          column: modern ? Number(modern[3]) : legacy ? Number(legacy[4]) : undefined,
          lines: trimmed,
        });
        continue;
      }
      const compile = /^error(\[E\d+\])?: (.*)$/.exec(line);
      if (compile && !/^error: (test failed|could not compile|aborting)/.test(line)) {
        const arrow = /^\s*--> (\S+?):(\d+):(\d+)$/.exec(lines[i + 1] ?? "");
        const block: string[] = [line];
        for (let j = i + 1; j < lines.length && (lines[j] as string).trim() !== ""; j++) block.push(lines[j] as string);
        failures.push({ tool: "cargo", message: `${compile[1] ? `${compile[1].slice(1, -1)}: ` : ""}${compile[2] as string}`, file: arrow?.[1], line: arrow ? Number(arrow[2]) : undefined, column: arrow ? Number(arrow[3]) : undefined, lines: block });
      }
    }
    return failures;
  },
};
