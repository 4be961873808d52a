export const TOOLS = ["vitest", "jest", "mocha", "node-test", "tsc", "eslint", "pytest", "go", "cargo"] as const;
export type ToolName = (typeof TOOLS)[number];

/** One failure, as a person (or a builder) needs it: which test, what broke, where. */
export interface Failure {
  tool: ToolName;
  /** Full name, e.g. `suite > case`; absent for type and lint errors. */
  test?: string | undefined;
  /** The assertion or error, one line. */
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  /** The excerpt that explains it, at most `maxLinesPerFailure` lines. */
  lines: string[];
}

/** A failure and the index of the cleaned line where it was reported, to keep a mixed log in order. */
export interface Found extends Failure {
  at: number;
}

export interface Parser {
  tool: ToolName;
  /** Cheap: does this output look like this tool's? Must stay linear on megabytes of text. */
  detects(text: string): boolean;
  parse(lines: readonly string[]): Found[];
  /** The project's root when the output names it, to make absolute paths relative. */
  root?(lines: readonly string[]): string | undefined;
}
