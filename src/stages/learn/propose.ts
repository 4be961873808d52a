import type { RepoPort } from "../../github/repo-port.js";
import { definedWeights, SCOUT_FILE, type ScoutFile } from "../scout/scout-file.js";
import { SIGNALS, WEIGHTS } from "../scout/localize.js";
import type { Calibration } from "./scout-calibration.js";
import type { PromptSearchResult } from "./prompt-search.js";
import { promptOverridePath, templateDigest } from "./prompt-file.js";

/** The PR body: what was fitted on what, the held-out figures before and after, and each weight's change. */
export function calibrationBody(calibration: Calibration, file: ScoutFile, current: ScoutFile | undefined): string {
  const was = { ...WEIGHTS, ...(current ? definedWeights(current.weights) : {}) };
  const f = (n: number) => n.toFixed(3);
  const rows = SIGNALS.map((s) => `| ${s} | ${was[s]} | ${file.weights[s]} |`);
  return [
    `The scout's weights, fitted on this repository's own past changes (the files each one really modified) up to \`${file.fitted?.commit.slice(0, 12) ?? "?"}\`.`,
    "",
    "| recall@10 | before | after | changes |",
    "|---|---|---|---|",
    `| fitted on (older) | ${f(calibration.fit.before)} | ${f(calibration.fit.after)} | ${calibration.fit.cases} |`,
    `| **held out (later)** | **${f(calibration.heldOut.before)}** | **${f(calibration.heldOut.after)}** | ${calibration.heldOut.cases} |`,
    "",
    `Kept because the held-out recall@10 rose by at least ${calibration.margin}. Each change is ranked twice, from its title and body and from its title alone.`,
    "",
    `| signal | ${current ? "now" : "default"} | fitted |`,
    "|---|---|---|",
    ...rows,
    "",
    `Merge to have the scout rank with these weights (\`${SCOUT_FILE}\`); close to keep the current ones.`,
  ].join("\n");
}

/**
 * Proposes one file by pull request on the default branch, from a branch named for
 * what was learned: running it again finds the same branch and PR instead of opening
 * another, and rewrites the file only when it differs.
 */
export async function proposeFile(port: RepoPort, input: { defaultBranch: string; branch: string; path: string; content: string; message: string; title: string; body: string }): Promise<number> {
  const head = await port.branchHead(input.defaultBranch);
  const made = await port.createBranch(input.branch, head.sha);
  if (made === "created" || (await port.readFile(input.path, input.branch)) !== input.content) await port.writeFiles(input.branch, { [input.path]: input.content }, input.message);
  return port.openPull({ title: input.title, head: input.branch, base: input.defaultBranch, body: input.body });
}

/** Proposes `.factory/scout.json`, on a branch per fit commit. */
export function proposeScoutFile(port: RepoPort, input: { defaultBranch: string; calibration: Calibration; file: ScoutFile; current?: ScoutFile }): Promise<number> {
  return proposeFile(port, {
    defaultBranch: input.defaultBranch,
    branch: `factory/learn-scout-${(input.file.fitted?.commit ?? "manual").slice(0, 12)}`,
    path: SCOUT_FILE,
    content: `${JSON.stringify(input.file, null, 2)}\n`,
    message: "chore(factory): calibrate the scout's weights to this repository",
    title: "chore(factory): calibrate the scout to this repository",
    body: calibrationBody(input.calibration, input.file, input.current),
  });
}

/** The PR body of a prompt search: held-out scores per artifact before and after, what the search spent, the template's diff in words. */
export function promptSearchBody(cell: string, result: PromptSearchResult, about: { train: readonly string[]; from: string }): string {
  const f = (n: number) => n.toFixed(3);
  const rows = Object.keys(result.seed.perArtifact).map((id) => `| ${id} | ${result.seed.perArtifact[id]} | ${result.best.perArtifact[id] ?? "—"} |`);
  return [
    `The ${cell}'s prompt template, searched with GEPA (AxGEPA) over replays of this repository's merged artifacts: each replay checks out the artifact's base commit, runs the configured harness with the candidate prompt, then the artifact's verification (\`verify.commands\` and the tests its merged change added). Score 1 when it passes, 0 otherwise.`,
    "",
    `Searched on ${about.train.length} artifact${about.train.length === 1 ? "" : "s"} (${about.train.join(", ")}), starting from ${about.from}; judged on the later ones below, which the search never saw.`,
    "",
    "| held-out artifact | current | proposed |",
    "|---|---|---|",
    ...rows,
    `| **mean** | **${f(result.seed.score)}** | **${f(result.best.score)}** |`,
    "",
    `${result.metricCalls} replays (metric calls), reported cost ${result.cost.toFixed(2)}; ${result.candidates.length} candidate template${result.candidates.length === 1 ? "" : "s"} proposed by the reflection model; a Pareto front of ${result.front.length}.`,
    ...(result.problems.length ? ["", "Problems during the search:", ...result.problems.slice(0, 10).map((p) => `- ${p}`)] : []),
    "",
    `Merge to have the builder render its prompt from \`${promptOverridePath(cell)}\` (read from the base branch); close to keep the current one.`,
  ].join("\n");
}

/** Proposes `.factory/prompts/<cell>.md`, on a branch per template digest. */
export function proposePromptFile(port: RepoPort, input: { defaultBranch: string; cell: string; result: PromptSearchResult; train: readonly string[]; from: string }): Promise<number> {
  const content = input.result.best.template.endsWith("\n") ? input.result.best.template : `${input.result.best.template}\n`;
  return proposeFile(port, {
    defaultBranch: input.defaultBranch,
    branch: `factory/learn-prompts-${input.cell}-${templateDigest(content).slice(0, 12)}`,
    path: promptOverridePath(input.cell),
    content,
    message: `chore(factory): a better ${input.cell} prompt, from replays of past artifacts`,
    title: `chore(factory): the ${input.cell}'s prompt, learned from past artifacts`,
    body: promptSearchBody(input.cell, input.result, input),
  });
}
