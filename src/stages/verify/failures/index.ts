import { cleanLines, excerpt } from "./clean.js";
import { cargo, eslint, goTest, pytest, tsc } from "./compilers.js";
import { jest, mocha, nodeTest, vitest } from "./js-runners.js";
import type { Failure, Parser, ToolName } from "./types.js";

export type { Failure, ToolName } from "./types.js";
export { TOOLS } from "./types.js";

export interface FailureSummary {
  tool: ToolName | "unknown";
  failures: Failure[];
  /** Failures found but not shown. */
  truncated: number;
  /** The last lines, when no parser recognised the output. */
  rawTail?: string[];
}

/** Most specific first: a vitest log can look like tsc's, not the other way round. */
export const PARSERS: readonly Parser[] = [vitest, jest, mocha, nodeTest, pytest, cargo, goTest, tsc, eslint];

/**
 * The shortest failure summary of a test, lint or type-check run: per failure, the
 * test's name, the assertion or error, the file and line, and at most
 * `maxLinesPerFailure` lines. Several tools in one log (tsc, then vitest, in one
 * Actions job) are all read. Output no parser recognises yields its raw tail.
 */
export function summarizeFailures(output: string, options: { tool?: ToolName; maxLinesPerFailure?: number; maxFailures?: number } = {}): FailureSummary {
  const maxLines = options.maxLinesPerFailure ?? 15;
  const maxFailures = options.maxFailures ?? 10;
  const lines = cleanLines(output);
  const text = lines.join("\n");
  const parsers = options.tool ? PARSERS.filter((p) => p.tool === options.tool) : PARSERS.filter((p) => p.detects(text));
  const found: Failure[] = [];
  let tool: ToolName | "unknown" = "unknown";
  for (const parser of parsers) {
    const failures = parser.parse(lines);
    if (failures.length && tool === "unknown") tool = parser.tool;
    if (tool === "unknown" && parsers.length) tool = parser.tool;
    found.push(...failures.map((f) => ({ ...f, message: f.message.slice(0, 500), lines: excerpt(f.lines, maxLines) })));
  }
  if (parsers.length === 0) {
    return { tool: "unknown", failures: [], truncated: 0, rawTail: lines.filter((l) => l.trim()).slice(-20) };
  }
  const summary: FailureSummary = { tool, failures: found.slice(0, maxFailures), truncated: Math.max(0, found.length - maxFailures) };
  // A recognised tool that reported no failure in output that still failed: show the tail too.
  if (found.length === 0) summary.rawTail = lines.filter((l) => l.trim()).slice(-20);
  return summary;
}
