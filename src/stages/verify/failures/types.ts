export const TOOLS = ["vitest", "jest", "mocha", "node-test", "tsc", "eslint", "pytest", "go", "cargo"] as const;
export type ToolName = (typeof TOOLS)[number];

/** One failure, as a person (or a builder) needs it: which test, what broke, where. */
export interface Failure {
  tool: ToolName;
  /** Full name, e.g. `suite > case`. */
  test?: string | undefined;
  /** The assertion or error, one line. */
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  /** The excerpt that explains it, at most `maxLinesPerFailure` lines. */
  lines: string[];
}

export interface Parser {
  tool: ToolName;
  /** Cheap: does this output look like this tool's? */
  detects(text: string): boolean;
  parse(lines: readonly string[]): Failure[];
}
