import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Box } from "../../cells/box.js";
import { lastLines } from "../../cells/process.js";
import type { Workspace } from "../../cells/workspace.js";
import { notesFrom } from "./evidence.js";
import type { Evidence } from "./verdict.js";

/**
 * Runs `verify.commands` in a workspace at the commit under test, one after the
 * other (`sh -c`, since a verify command is a line a maintainer wrote in the
 * repository's config), each in its own process group with the timeout. Each is one
 * piece of evidence; a failure carries the shortest summary of its output.
 */
export async function runVerifyCommands(
  workspace: Workspace,
  commands: readonly string[],
  options: { timeoutMs: number; path: string; signal?: AbortSignal | undefined; box: Box; image?: string | undefined },
): Promise<Evidence[]> {
  const status = await options.box.status();
  // Not the build's failure: the job fails (and, failing twice, blocks the artifact with this reason).
  if (!status.ok) throw new Error(`the verify commands were not run: this runner's sandbox (FACTORY_SANDBOX=${status.kind}) does not work. ${status.problem ?? ""}`);
  const home = join(workspace.scratch, "verify-home");
  await mkdir(home, { recursive: true });
  const env = { PATH: options.path, HOME: home, CI: "true", LANG: "C.UTF-8", TERM: "dumb", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  // The repository's own scripts: in the box, like a harness (with the network, for package installs).
  await options.box.enter(workspace.root);
  try {
    return await runEach(workspace, commands, { ...options, env });
  } finally {
    await options.box.leave(workspace.root);
  }
}

/** Each command in turn, in the box: one piece of evidence each. */
async function runEach(workspace: Workspace, commands: readonly string[], options: { timeoutMs: number; signal?: AbortSignal | undefined; box: Box; image?: string | undefined; env: Record<string, string> }): Promise<Evidence[]> {
  const { env } = options;
  const evidence: Evidence[] = [];
  for (const command of commands) {
    const result = await options.box.run(["sh", "-c", command], { root: workspace.root, cwd: workspace.dir, network: "open", image: options.image }, { cwd: workspace.dir, env, timeoutMs: options.timeoutMs, signal: options.signal, maxOutputBytes: 2_000_000 });
    if (result.exitCode === 0 && !result.timedOut && !result.stopped) {
      evidence.push({ kind: "command", name: command, state: "success" });
      continue;
    }
    const output = `${result.stdout}\n${result.stderr}`;
    const why = result.stopped ? `stopped: ${result.stopped}` : result.timedOut ? `timed out after ${Math.round(options.timeoutMs / 60_000)} min` : result.spawnError ? `could not start: ${result.spawnError}` : `exited with ${result.signal ?? `code ${String(result.exitCode)}`}`;
    const notes = notesFrom(output, { roots: [workspace.dir, await realpath(workspace.dir).catch(() => workspace.dir)] });
    evidence.push({
      kind: "command",
      name: command,
      state: "failure",
      failures: notes.length ? notes : [{ message: why, lines: lastLines(result, 15) }],
    });
    if (result.cancelled) break;
  }
  return evidence;
}
