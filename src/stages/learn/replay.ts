import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Box } from "../../cells/box.js";
import type { CellContract } from "../../cells/contracts.js";
import { harnessFor, HARNESSES_HELP } from "../../cells/harness.js";
import { lastLines } from "../../cells/process.js";
import { harnessProblem, runHarness, type HarnessChoice } from "../../cells/run-harness.js";
import { botIdentity, Workspace } from "../../cells/workspace.js";
import type { FactoryConfig } from "../../config/schema.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import { builderInput, renderBuilderPrompt, type BuilderInput } from "../build/prompt.js";
import { isTestPath } from "../scout/localize.js";
import { runVerifyCommands } from "../verify/run-commands.js";
import { failureSummary } from "../verify/verdict.js";
import { lessonsInCheckout } from "./lessons.js";
import type { Replay, ReplayItem } from "./prompt-search.js";

const run = promisify(execFile);

/**
 * One past artifact, ready to replay under a candidate template: where its first
 * build started, what that build was asked, and what judged the merged change.
 */
export interface ReplayCase extends ReplayItem {
  pr: number;
  /** The commit the artifact's branch started from (the parent of intake's first commit). */
  base: string;
  /** The PR head that was merged. */
  merged: string;
  mergedAt: string;
  /** The builder's first-attempt input: goal, criteria, the scout's memo; no feedback yet. */
  input: BuilderInput;
  /** The test files the merged change added or changed, as merged: they judge a replay, with `verify.commands`. */
  tests: Record<string, string>;
}

/** The most test files, and characters of them, a case carries. */
const TEST_FILES = 50;
const TEST_CHARS = 2_000_000;

/**
 * The replay case of an artifact that was merged, read from its signed records and
 * its PR; why not, for one that cannot be replayed (never merged, no PR).
 */
export async function replayCaseOf(store: GitHubStore, loaded: LoadedArtifact): Promise<{ ok: true; case: ReplayCase } | { ok: false; reason: string }> {
  const { artifact } = loaded;
  const ended = loaded.records.findLast((r) => r.kind === "run.ended");
  if (!ended || ended.kind !== "run.ended" || ended.data.outcome !== "merged") return { ok: false, reason: "not merged" };
  if (!artifact.pr) return { ok: false, reason: "no pull request" };
  const { port } = store;
  const [commits, pull, files] = await Promise.all([port.pullCommits(artifact.pr), port.getPull(artifact.pr), port.pullFiles(artifact.pr)]);
  const first = commits[0];
  if (!first) return { ok: false, reason: `PR #${artifact.pr} has no commits` };
  const [base] = await port.commitParents(first.sha);
  if (!base) return { ok: false, reason: `the first commit of PR #${artifact.pr} has no parent` };
  const tests: Record<string, string> = {};
  let chars = 0;
  for (const file of files.filter((f) => f.status !== "removed" && isTestPath(f.path)).slice(0, TEST_FILES)) {
    const text = await port.readFile(file.path, pull.headSha);
    if (text === undefined || chars + text.length > TEST_CHARS) continue;
    tests[file.path] = text;
    chars += text.length;
  }
  const input: BuilderInput = { ...builderInput(loaded), attempt: 1, feedback: [], lessons: [] };
  return { ok: true, case: { id: loaded.id, pr: artifact.pr, base, merged: pull.headSha, mergedAt: ended.at, input, tests } };
}

/** What a replay needs of the place it runs: the repository's clone, the box, the builder's contract and the config. */
export interface ReplaySetup {
  /** A local clone (or bare mirror) holding every case's base commit. */
  gitDir: string;
  repo: string;
  box: Box;
  env: NodeJS.ProcessEnv;
  contract: CellContract;
  config: Pick<FactoryConfig, "cells" | "verify">;
  workRoot?: string | undefined;
  now?: Date;
}

/** Why a setup cannot replay at all (no harness, nothing to verify with), before any replay starts. */
export function replaySetupProblem(setup: Pick<ReplaySetup, "config">): string | undefined {
  if (!harnessFor(setup.config.cells.build)) return `no harness is configured for the build stage: set \`cells.build.harness\` to ${HARNESSES_HELP}`;
  if (setup.config.verify.commands.length === 0) return "a replay is judged by `verify.commands` (with the merged change's tests), and none are configured: a replay with nothing to judge it would pass on no evidence";
  return undefined;
}

/** A case's base commit is in the clone, or the error says what to fetch. */
export async function checkBase(gitDir: string, c: ReplayCase): Promise<string | undefined> {
  try {
    await run("git", ["--git-dir", gitDir, "cat-file", "-e", `${c.base}^{commit}`]);
    return undefined;
  } catch {
    return `${gitDir} does not have ${c.base.slice(0, 12)}, where ${c.id} started: fetch the default branch into it first`;
  }
}

/**
 * Replays one past artifact under a template: a checkout of its base commit, the
 * builder's prompt rendered from the template (with the lessons the base carried),
 * the configured harness in the box, then the artifact's verification: the merged
 * change's tests written over whatever the harness left at those paths, and
 * `verify.commands`, in the box. 1 when every command passes, else 0 with the
 * failure summary as the feedback a reflection reads.
 */
export async function replayArtifact(setup: ReplaySetup, template: string, c: ReplayCase, signal?: AbortSignal): Promise<Replay> {
  const choice: HarnessChoice & { timeoutMinutes: number } = setup.config.cells.build;
  const harness = harnessFor(choice);
  if (!harness) throw new Error(replaySetupProblem(setup));
  const workspace = await Workspace.atCommit({ gitDir: setup.gitDir, commit: c.base, identity: botIdentity("software-factory[bot]"), parent: setup.workRoot });
  try {
    const { chosen } = await lessonsInCheckout(workspace.dir, { likelyFiles: c.input.memo?.likelyFiles.map((f) => f.path) ?? [], ...c.input, seed: c.id, now: setup.now ?? new Date() });
    const prompt = renderBuilderPrompt({ ...setup.contract, prompt: template }, { ...c.input, lessons: chosen.map(({ lesson }) => ({ title: lesson.title, text: lesson.body })) }, setup.repo);
    const timeoutMs = Math.min(choice.timeoutMinutes * 60_000, setup.contract.spec.timeoutSeconds * 1000);
    const ran = await runHarness({ box: setup.box, env: setup.env, choice, harness, place: workspace, prompt, timeoutMs, signal, image: setup.config.cells.image, maxOutputBytes: setup.contract.spec.budget.outputBytes ?? 1_000_000 });
    const cost = ran.cost === undefined ? {} : { cost: ran.cost };
    const problem = harnessProblem(ran, harness, timeoutMs);
    if (problem) return { score: 0, ...cost, feedback: [`${problem}.`, ...lastLines(ran.result, 10)].join("\n") };
    await workspace.commitLeftovers(`Replay of ${c.id}`);
    if ((await workspace.newCommits()).length === 0) return { score: 0, ...cost, feedback: "The harness exited 0 without changing anything." };
    await workspace.writeTree(c.tests);
    const evidence = await runVerifyCommands(workspace, setup.config.verify.commands, { timeoutMs: setup.config.verify.timeoutMinutes * 60_000, path: setup.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", signal, box: setup.box, image: setup.config.cells.image });
    const tests = Object.keys(c.tests);
    const judgedBy = `${evidence.map((e) => `\`${e.name}\``).join(", ")}${tests.length ? `, with the merged change's tests (${tests.map((t) => `\`${t}\``).join(", ")})` : ""}`;
    if (evidence.every((e) => e.state === "success")) return { score: 1, ...cost, feedback: `Verified: ${judgedBy} passed.` };
    return { score: 0, ...cost, feedback: `Verification failed (${judgedBy}):\n${failureSummary(evidence, 5)}` };
  } finally {
    await workspace.remove();
  }
}
