import { mkdir, writeFile } from "node:fs/promises";
import { readOwnFile } from "./read-safely.js";
import { join } from "node:path";
import type { Box } from "./box.js";
import { harnessArgv, harnessEnv, type HarnessPreset } from "./harness.js";
import type { ProcessResult } from "./process.js";
import type { HarnessName } from "../config/schema.js";

/** Where a harness runs: the job's directory (`root`, the only host path the box can write), the tree it works in, and a scratch folder beside it. */
export interface HarnessPlace {
  root: string;
  dir: string;
  scratch: string;
  /** Who commits, when the place is a clone. */
  commitEnv?(): Record<string, string>;
}

/** What a repository's config chooses for a cell that runs a harness. */
export interface HarnessChoice {
  harness?: HarnessName | undefined;
  command?: string[] | undefined;
  model?: string | undefined;
  network: "open" | "none";
  env: string[];
}

export interface HarnessRun {
  result: ProcessResult;
  argv: string[];
  /** Variables the config asked for that were not passed (not allowed, or the app's own secrets), and those not set here. */
  refused: string[];
  missing: string[];
  /** What the harness says it spent: from its stdout (a preset that reports it) or its `{output_file}`. */
  cost: number | undefined;
}

/**
 * Runs a harness once, in the box: the prompt in a file beside the tree (never in
 * it), a home of its own, the minimal environment plus the variables the operator
 * allows, its own process group and the timeout. The builder and the learn stage's
 * replays and reflections all run a harness through here.
 */
export async function runHarness(input: {
  box: Box;
  /** The runner's environment: the source of the variables a harness may receive. */
  env: NodeJS.ProcessEnv;
  choice: HarnessChoice;
  harness: HarnessPreset;
  place: HarnessPlace;
  prompt: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  image?: string | undefined;
  maxOutputBytes: number;
}): Promise<HarnessRun> {
  const { place } = input;
  const promptFile = join(place.scratch, "prompt.md");
  const outputFile = join(place.scratch, "output.json");
  const home = join(place.scratch, "home");
  await mkdir(home, { recursive: true });
  await writeFile(promptFile, input.prompt);
  const argv = harnessArgv(input.harness.argv, { prompt: input.prompt, promptFile, workspace: place.dir, outputFile, model: input.choice.model });
  const { env, refused, missing } = harnessEnv(input.choice.env, input.env, {
    PATH: input.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    TERM: "dumb",
    CI: "true",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    FACTORY_PROMPT_FILE: promptFile,
    FACTORY_OUTPUT_FILE: outputFile,
    FACTORY_WORKSPACE: place.dir,
    ...place.commitEnv?.(),
  });
  await input.box.enter(place.root);
  const result = await input.box
    .run(argv, { root: place.root, cwd: place.dir, network: input.choice.network, image: input.image }, { cwd: place.dir, env, timeoutMs: input.timeoutMs, signal: input.signal, maxOutputBytes: input.maxOutputBytes })
    .finally(() => input.box.leave(place.root));
  const cost = input.harness.costFrom?.(result.stdout) ?? (await reportedCost(outputFile));
  return { result, argv, refused, missing, cost };
}

/** Why a harness run did not end well, in words; undefined when it exited 0. */
export function harnessProblem(run: Pick<HarnessRun, "result" | "argv">, harness: HarnessPreset, timeoutMs: number): string | undefined {
  const { result } = run;
  if (result.spawnError) {
    const install = harness.install ? ` Install it on the runner (\`${harness.install}\`) or choose another harness.` : "";
    return `The harness \`${run.argv[0] ?? ""}\` could not start: ${result.spawnError}.${install}`;
  }
  if (result.stopped) return `The harness was stopped with its whole process group: ${result.stopped}`;
  if (result.timedOut) return `The harness ran past its ${Math.round(timeoutMs / 60_000)}-minute timeout and was stopped with its whole process group`;
  if (result.exitCode !== 0) return `The harness exited with ${result.signal ? `signal ${result.signal}` : `code ${String(result.exitCode)}`}`;
  return undefined;
}

/** A harness may write `{ "costUsd": n }` to `{output_file}`; anything else there is ignored. */
async function reportedCost(file: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse((await readOwnFile(file, 64 * 1024)) ?? "") as { costUsd?: unknown };
    return typeof parsed.costUsd === "number" && Number.isFinite(parsed.costUsd) && parsed.costUsd >= 0 ? parsed.costUsd : undefined;
  } catch {
    return undefined;
  }
}
