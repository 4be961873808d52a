import { cargo } from "./cargo.js";
import { cleanLines } from "./clean.js";
import { eslint } from "./eslint.js";
import { excerpt } from "./excerpt.js";
import { goTest } from "./go-test.js";
import { jest } from "./jest.js";
import { mocha } from "./mocha.js";
import { nodeTest } from "./node-test.js";
import { pytest } from "./pytest.js";
import { tsc } from "./tsc.js";
import type { Failure, Found, Parser, ToolName } from "./types.js";
import { vitest } from "./vitest.js";

export type { Failure, ToolName } from "./types.js";
export { TOOLS } from "./types.js";

export interface FailureSummary {
  /** The tool of the first failure in the log; with none, the first tool recognised; else "unknown". */
  tool: ToolName | "unknown";
  /** In the order the log reports them. */
  failures: Failure[];
  /** Failures found but not shown (past `maxFailures`). */
  truncated: number;
  /** The last 20 non-blank lines, when no failure could be read (no parser matched, or it found none). */
  rawTail?: string[];
}

export interface SummarizeOptions {
  /** Skip detection: read the output as this tool's. */
  tool?: ToolName;
  /** Lines of excerpt per failure; 15 unless said. */
  maxLinesPerFailure?: number;
  /** Failures shown; 10 unless said. The rest are counted in `truncated`. */
  maxFailures?: number;
  /** The project's directory where the output was made (and any other name it goes by): paths under it are shown relative, everywhere in the summary. */
  root?: string | readonly string[];
}

/** Every parser; detection runs them all, so a log with tsc then vitest yields both. */
export const PARSERS: readonly Parser[] = [vitest, jest, mocha, nodeTest, tsc, eslint, pytest, goTest, cargo];

const TAIL_LINES = 20;
const MAX_MESSAGE = 500;

/**
 * The shortest failure summary of a test, lint or type-check run: per failure, the
 * test's full name, the assertion or error in one line, the file and line, and an
 * excerpt of at most `maxLinesPerFailure` lines. Reads GitHub check-run text,
 * Actions job logs (timestamps, `##[group]` markers and colours are removed) and
 * plain output; only the last 2 MB of the output are read.
 */
export function summarizeFailures(output: string, options: SummarizeOptions = {}): FailureSummary {
  const maxLines = options.maxLinesPerFailure ?? 15;
  const maxFailures = options.maxFailures ?? 10;
  const given = typeof options.root === "string" ? [options.root] : (options.root ?? []);
  const lines = cleanLines(given.length ? withoutRoots(output, given) : output);
  const parsers = options.tool ? PARSERS.filter((p) => p.tool === options.tool) : detect(lines);

  const found: Found[] = [];
  for (const parser of parsers) {
    const roots = [...given, parser.root?.(lines)].filter((r): r is string => Boolean(r));
    for (const failure of parser.parse(lines)) found.push(relative(failure, roots));
  }
  // Stable: failures on one line (vitest's shared errors) keep their parser's order.
  found.sort((a, b) => a.at - b.at);
  const failures = dedupe(found).map((f) => shape(f, maxLines));

  const tool = options.tool ?? failures[0]?.tool ?? parsers[0]?.tool ?? "unknown";
  const summary: FailureSummary = { tool, failures: failures.slice(0, Math.max(0, maxFailures)), truncated: Math.max(0, failures.length - maxFailures) };
  if (failures.length === 0) summary.rawTail = lines.filter((l) => l.trim()).slice(-TAIL_LINES);
  return summary;
}

/** The parsers whose tool printed this output: each looks for its own markers. */
export function detect(lines: readonly string[]): Parser[] {
  const text = lines.join("\n");
  return PARSERS.filter((p) => p.detects(text));
}

/**
 * The output with the project's directory taken out of every path (`file://` URLs
 * too), so messages, stack lines and file names all speak the repository's paths,
 * whatever temporary directory the run happened in.
 */
export function withoutRoots(output: string, roots: readonly string[]): string {
  let text = output;
  // Longest first: a root inside another (a symlinked temp dir) is replaced whole.
  for (const root of [...new Set(roots.map((r) => r.replace(/\/+$/, "")))].filter(Boolean).sort((a, b) => b.length - a.length)) {
    text = text.replaceAll(`file://${root}/`, "").replaceAll(`${root}/`, "");
    // The directory itself (`rootdir: /tmp/…/work`) is the repository's top.
    text = text.replace(new RegExp(`(?:file://)?${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`, "g"), ".");
  }
  return text;
}

function relative(failure: Found, roots: readonly string[]): Found {
  const file = failure.file;
  if (!file?.startsWith("/")) return failure;
  for (const root of roots) {
    const prefix = root.endsWith("/") ? root : `${root}/`;
    if (file.startsWith(prefix)) return { ...failure, file: file.slice(prefix.length) };
  }
  return failure;
}

/** jest repeats every failure in its closing summary past 20 suites; one copy is enough. */
function dedupe(found: readonly Found[]): Found[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    const key = JSON.stringify([f.tool, f.test, f.message, f.file, f.line, f.column]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function shape(found: Found, maxLines: number): Failure {
  const message = found.message.trim();
  const failure: Failure = {
    tool: found.tool,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message,
    lines: excerpt(found.lines, maxLines),
  };
  if (found.test !== undefined) failure.test = found.test;
  if (found.file !== undefined) failure.file = found.file;
  if (found.line !== undefined) failure.line = found.line;
  if (found.column !== undefined) failure.column = found.column;
  return failure;
}
