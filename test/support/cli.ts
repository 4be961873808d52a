import { expect } from "vitest";
import { main, UsageError } from "../../src/cli/main.js";

/** Runs the `factory` CLI in-process: its exit code and the lines it printed. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, env, (line) => lines.push(line));
  return { code, lines };
}

/** The message of the usage error `argv` must end in (anything else fails the test). */
export async function usageError(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const error: unknown = await main(argv, env, () => {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}
