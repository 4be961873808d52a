#!/usr/bin/env node
import { parseArgs } from "node:util";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { CONFIG_PATH, parseConfig } from "../config/load.js";
import { configJsonSchema } from "../config/schema.js";
import { RepoPort } from "../github/repo-port.js";
import { invokedDirectly } from "./invoked.js";
import { writeFile } from "node:fs/promises";
import { calibrateFromGit, gitDirOf } from "../stages/learn/calibrate-git.js";
import { proposePromptFile, proposeScoutFile } from "../stages/learn/propose.js";
import { Box } from "../cells/box.js";
import { contractFor, loadContracts } from "../cells/contracts.js";
import { acceptedTemplate, templateDigest } from "../stages/learn/prompt-file.js";
import { searchPrompt } from "../stages/learn/prompt-search.js";
import { harnessReflection } from "../stages/learn/reflect.js";
import { checkBase, replayArtifact, replayCaseOf, replaySetupProblem, type ReplayCase } from "../stages/learn/replay.js";
import { DEFAULT_MARGIN, scoutFileFor } from "../stages/learn/scout-calibration.js";
import { parseScoutFile, SCOUT_FILE } from "../stages/scout/scout-file.js";
import { collectLedger } from "../ledger/refresh-ledger.js";
import { ledgerTable } from "../ledger/rows.js";
import { collectQueue } from "../ledger/queue.js";
import { queueLines } from "../stages/intake/demand.js";
import { ArtifactStore } from "../state/artifact-store.js";
import { stateKey } from "../state/sign.js";
import { traceText, tracesOf } from "../stages/learn/traces.js";

const USAGE = `Usage:
  factory ledger --repo owner/name [--json] [--app-slug software-factory]
      Every artifact with stage, status, owner, branch, PR, verification, next handoff and age,
      rebuilt from the app's signed records. Needs GITHUB_TOKEN (or GH_TOKEN) with read access,
      and FACTORY_STATE_SECRET (or WEBHOOK_SECRET) to check the records' signatures.
      GHE_HOST / GHE_PROTOCOL point it at GitHub Enterprise Server.
  factory learn scout --dir <clone> [--commit HEAD] [--margin 0.02] [--out file] [--repo owner/name --pr] [--json]
      Fit the scout's weights on the repository's own past changes (each ranked at its parent, the
      files it really modified as the answer), older two thirds fitted, newer third held out. The
      weights are kept only if held-out recall@10 rises by the margin. --out writes .factory/scout.json
      there; --pr proposes it by pull request with the figures (needs GITHUB_TOKEN with contents and
      pull request write access).
  factory learn prompts --cell builder --repo owner/name --dir <clone> [--budget 40] [--max-cost USD]
                        [--trials 8] [--out file] [--pr] [--json] [--verbose] [--app-slug software-factory]
      Search the builder's prompt template with GEPA, scored by replaying the repository's merged artifacts:
      each replay checks out the artifact's base commit in <clone>, runs cells.build's harness in the box
      with the candidate prompt, then verify.commands with the tests the merged change added (1 pass, 0
      fail). cells.reflect is the reflection model. The older two thirds are searched on, the newer third
      judges: a template is kept only if its held-out score is higher. --budget caps replays, --max-cost
      what the harness reports spending. --out writes the template; --pr proposes .factory/prompts/builder.md;
      --verbose prints each replay's score and the start of its feedback.
      Needs the same variables as factory ledger (GITHUB_TOKEN, FACTORY_STATE_SECRET).
  factory traces export --repo owner/name [--since YYYY-MM-DD] [--out file] [--app-slug software-factory]
      One JSON line per cell run (the scout, each build attempt, each verdict) in GEPA's reflective-dataset
      shape: the inputs the cell saw, what it produced, the feedback it got and a score, read from the
      app's signed records only. --since keeps runs started that day or later; --out writes a file
      instead of printing. Needs the same variables as factory ledger.
  factory queue --repo owner/name [--json] [--app-slug software-factory]
      The demand queue: open candidate issues (intake.candidates: the factory:candidate label by default)
      ranked by reactions, commenters, linking and duplicate issues, urgent labels, waiting time and how
      the factory's finished artifacts of the same kind went, each score in words. /factory next promotes
      the first. Needs the same variables as factory ledger.
  factory schema
      Print the JSON Schema of .github/factory.yml.`;

export class UsageError extends Error {}

/** The REST base URL, the way Probot derives it. */
export function baseUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GHE_HOST) return undefined;
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "schema") {
    out(JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  }
  if (command === "learn") return learn(rest, env, out);
  if (command === "traces") return traces(rest, env, out);
  if (command === "queue") {
    const values = ledgerOptions(rest);
    const { store, config } = await openRepo(env, repoOf(values.repo), values["app-slug"]);
    const queue = await collectQueue(store, config, Date.now());
    if (values.json) out(JSON.stringify(queue.map(({ issue: _issue, ...rest }) => rest), null, 2));
    else if (queue.length === 0) out(`No candidates in ${store.port.fullName}: label issues ${config.intake.candidates.labels.map((l) => `\`${l}\``).join(" or ")} to queue them.`);
    else for (const line of queueLines(queue, queue.length)) out(line);
    return 0;
  }
  if (command !== "ledger") throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  const values = ledgerOptions(rest);
  const { store, config } = await openRepo(env, repoOf(values.repo), values["app-slug"]);
  const rows = await collectLedger(store, config, Date.now());
  if (values.json) out(JSON.stringify(rows, null, 2));
  else out(rows.length ? ledgerTable(rows) : `No factory artifacts in ${store.port.fullName}.`);
  return 0;
}

function repoOf(value: string | undefined): { owner: string; repo: string } {
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(value ?? "");
  if (!match?.[1] || !match[2]) throw new UsageError("--repo must be owner/name");
  return { owner: match[1], repo: match[2] };
}

function octokitFor(env: NodeJS.ProcessEnv, what: string): InstanceType<typeof ProbotOctokit> {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!token) throw new UsageError(`set GITHUB_TOKEN (or GH_TOKEN) to a token that can ${what}`);
  const base = baseUrl(env);
  return new ProbotOctokit({ auth: { token }, ...(base ? { baseUrl: base } : {}) });
}

async function learn(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [what, ...rest] = args;
  if (what === "prompts") return learnPrompts(rest, env, out);
  if (what !== "scout") throw new UsageError(what ? `unknown learn target "${what}" (scout or prompts)` : "learn what? (scout or prompts)");
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        dir: { type: "string" },
        commit: { type: "string", default: "HEAD" },
        margin: { type: "string", default: String(DEFAULT_MARGIN) },
        out: { type: "string" },
        repo: { type: "string" },
        pr: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.dir) throw new UsageError("--dir must name a local clone (or bare mirror) of the repository");
  const margin = Number(values.margin);
  if (!Number.isFinite(margin) || margin < 0 || margin > 1) throw new UsageError("--margin must be a number from 0 to 1");
  const ref = values.pr ? repoOf(values.repo) : undefined;
  const octokit = ref ? octokitFor(env, "push a branch and open a pull request") : undefined;
  const gitDir = await gitDirOf(values.dir).catch(() => {
    throw new UsageError(`${values.dir} is not a git repository`);
  });
  const calibration = await calibrateFromGit(gitDir, values.commit, { margin });
  const file = scoutFileFor(calibration, calibration.commit, new Date());
  const f = (n: number) => n.toFixed(3);
  if (values.json) out(JSON.stringify({ accepted: calibration.accepted, reason: calibration.reason, fit: calibration.fit, heldOut: calibration.heldOut, margin, file }));
  else {
    out(`Fitted on ${calibration.fit.cases} past changes, judged on the ${calibration.heldOut.cases} after them (of ${calibration.mined} usable, up to ${calibration.commit.slice(0, 12)}), in ${(calibration.ms / 1000).toFixed(1)} s.`);
    out(`recall@10   fitted on: ${f(calibration.fit.before)} → ${f(calibration.fit.after)}   held out: ${f(calibration.heldOut.before)} → ${f(calibration.heldOut.after)}`);
    out(`${calibration.reason[0]?.toUpperCase()}${calibration.reason.slice(1)}.`);
    if (calibration.accepted) out(`Weights: ${JSON.stringify(calibration.weights)}`);
  }
  if (!calibration.accepted) return 0;
  if (values.out) {
    await writeFile(values.out, `${JSON.stringify(file, null, 2)}\n`);
    if (!values.json) out(`Wrote ${values.out}.`);
  }
  if (ref && octokit) {
    const port = new RepoPort(octokit, ref);
    const defaultBranch = await port.defaultBranch();
    const currentText = await port.readFile(SCOUT_FILE, defaultBranch);
    const current = currentText === undefined ? undefined : parseScoutFile(currentText);
    const number = await proposeScoutFile(port, { defaultBranch, calibration, file, ...(current?.ok ? { current: current.file } : {}) });
    if (!values.json) out(`Proposed in ${ref.owner}/${ref.repo}#${number}.`);
  }
  return 0;
}

/**
 * `factory learn prompts`: GEPA over the builder's template, each candidate scored by
 * replaying merged artifacts (their base commit, the configured harness in the box,
 * their verification), the older ones searched on and the newer ones held out.
 */
async function learnPrompts(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        cell: { type: "string" },
        repo: { type: "string" },
        dir: { type: "string" },
        budget: { type: "string", default: "40" },
        "max-cost": { type: "string" },
        trials: { type: "string", default: "8" },
        out: { type: "string" },
        pr: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        "app-slug": { type: "string" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.cell !== "builder") throw new UsageError(values.cell ? `--cell ${values.cell}: only the builder's prompt is learned (--cell builder)` : "--cell must name the cell whose prompt to learn (builder)");
  const ref = repoOf(values.repo);
  if (!values.dir) throw new UsageError("--dir must name a local clone (or bare mirror) of the repository, with its default branch fetched");
  const count = (name: string, value: string, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
    return n;
  };
  const metricCalls = count("budget", values.budget, 10_000);
  const trials = count("trials", values.trials, 100);
  const maxCost = values["max-cost"] === undefined ? undefined : Number(values["max-cost"]);
  if (maxCost !== undefined && !(Number.isFinite(maxCost) && maxCost > 0)) throw new UsageError("--max-cost must be a positive number (what the harness reports, in USD)");
  const gitDir = await gitDirOf(values.dir).catch(() => {
    throw new UsageError(`${values.dir} is not a git repository`);
  });
  const { store, config } = await openRepo(env, ref, values["app-slug"]);
  const setupProblem = replaySetupProblem({ config });
  if (setupProblem) throw new Error(`cannot replay ${ref.owner}/${ref.repo}'s artifacts: ${setupProblem}`);
  const box = Box.fromEnv(env);
  const reflect = harnessReflection({ box, env, choice: config.cells.reflect, image: config.cells.image });
  const boxed = await box.status();
  if (!boxed.ok) throw new Error(`the replays run in the sandbox, which does not work here (FACTORY_SANDBOX=${boxed.kind}): ${boxed.problem ?? ""}`);

  // The merged artifacts, oldest merge first: the older two thirds are searched on, the newer third judges.
  const cases: ReplayCase[] = [];
  const skipped = new Map<string, number>();
  for (const issue of (await store.port.listIssuesWithLabel(config.labels.intake, "all")).filter((i) => !i.isPull)) {
    const loaded = await store.load(issue.number);
    if (loaded.artifact.status === "new") continue;
    const made = await replayCaseOf(store, loaded);
    if (made.ok) cases.push(made.case);
    else skipped.set(made.reason, (skipped.get(made.reason) ?? 0) + 1);
  }
  cases.sort((a, b) => Date.parse(a.mergedAt) - Date.parse(b.mergedAt));
  if (cases.length < 3) throw new Error(`${ref.owner}/${ref.repo} has ${cases.length} merged artifact${cases.length === 1 ? "" : "s"} to replay; a search needs at least 3 (some to search on, later ones to judge)`);
  const missing = (await Promise.all(cases.map((c) => checkBase(gitDir, c)))).filter((p): p is string => p !== undefined);
  if (missing.length) throw new Error(missing.join("\n"));
  const held = Math.max(1, Math.round(cases.length / 3));
  const train = cases.slice(0, cases.length - held);
  const heldOut = cases.slice(cases.length - held);

  const defaultBranch = await store.port.defaultBranch();
  const builder = contractFor(loadContracts(), "build");
  if (!builder?.prompt) throw new Error("the builder's contract (cells/builder) has no prompt.md");
  const accepted = await acceptedTemplate((path, at) => store.port.readFile(path, at), defaultBranch, "builder");
  if (accepted.problem) out(`Note: ${accepted.problem}.`);
  const seed = accepted.template ?? builder.prompt;
  const from = accepted.template ? `\`${accepted.path}\`` : "the factory's default template";
  const setup = { gitDir, repo: `${ref.owner}/${ref.repo}`, box, env, contract: builder, config };
  const result = await searchPrompt({
    cell: "builder",
    seed,
    train,
    heldOut,
    replay: async (template, c) => {
      const replayed = await replayArtifact(setup, template, c);
      if (values.verbose && !values.json) out(`replay ${c.id} (template ${templateDigest(template).slice(0, 8)}): ${replayed.score}, ${replayed.feedback.split("\n").slice(0, 3).join(" / ").slice(0, 300)}`);
      return replayed;
    },
    reflect,
    budget: { metricCalls, ...(maxCost !== undefined ? { cost: maxCost } : {}) },
    trials,
  });

  const f = (n: number) => n.toFixed(3);
  const why = [...skipped].map(([reason, n]) => `${n} ${reason}`).join(", ");
  if (values.json) {
    out(JSON.stringify({ accepted: result.accepted, reason: result.reason, train: train.map((c) => c.id), heldOut: result.seed.perArtifact, after: result.best.perArtifact, before: result.seed.score, score: result.best.score, metricCalls: result.metricCalls, cost: result.cost, candidates: result.candidates.length, front: result.front.length, problems: result.problems }));
  } else {
    out(`Replayed ${cases.length} merged artifacts of ${ref.owner}/${ref.repo}${why ? ` (skipped: ${why})` : ""}: searched on ${train.length}, judged on the ${heldOut.length} merged after them, starting from ${from}.`);
    out(`held-out score ${f(result.seed.score)} → ${f(result.best.score)}; ${result.metricCalls} replays, cost ${result.cost.toFixed(2)}; ${result.candidates.length} candidates; Pareto front ${result.front.length}${result.budgetSpent ? "; the cost budget ran out" : ""}.`);
    for (const id of Object.keys(result.seed.perArtifact)) out(`  ${id}: ${result.seed.perArtifact[id]} → ${result.best.perArtifact[id] ?? "-"}`);
    for (const problem of result.problems) out(`problem: ${problem}`);
    out(`${result.reason[0]?.toUpperCase()}${result.reason.slice(1)}.`);
  }
  if (!result.accepted) return 0;
  if (values.out) {
    await writeFile(values.out, result.best.template.endsWith("\n") ? result.best.template : `${result.best.template}\n`);
    if (!values.json) out(`Wrote ${values.out}.`);
  }
  if (values.pr) {
    const number = await proposePromptFile(store.port, { defaultBranch: defaultBranch, cell: "builder", result, train: train.map((c) => c.id), from });
    if (!values.json) out(`Proposed in ${ref.owner}/${ref.repo}#${number}.`);
  }
  return 0;
}

/**
 * `factory traces export`: every artifact of the repository (the issues with the
 * intake label, as the ledger finds them), loaded from its threads, each cell run a
 * JSON line. Only what the store reads counts: the app's own, signed records.
 */
async function traces(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [what, ...rest] = args;
  if (what !== "export") throw new UsageError(what ? `unknown traces action "${what}" (export is the one there is)` : "traces what? (export)");
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: { repo: { type: "string" }, since: { type: "string" }, out: { type: "string" }, "app-slug": { type: "string" } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const ref = repoOf(values.repo);
  const since = values.since === undefined ? undefined : dayOf(values.since);
  if (values.out === "") throw new UsageError("--out must name a file");
  const { store, config } = await openRepo(env, ref, values["app-slug"]);
  const lines: string[] = [];
  const issues = (await store.port.listIssuesWithLabel(config.labels.intake, "all")).filter((i) => !i.isPull).sort((a, b) => a.number - b.number);
  for (const issue of issues) {
    const loaded = await store.load(issue.number);
    if (loaded.artifact.status === "new") continue;
    const kept = tracesOf(loaded).filter((t) => since === undefined || Date.parse(t.at) >= since);
    lines.push(...kept.map(traceText));
  }
  if (values.out === undefined) {
    for (const line of lines) out(line);
    return 0;
  }
  await writeFile(values.out, lines.length ? `${lines.join("\n")}\n` : "");
  out(`Wrote ${lines.length} trace${lines.length === 1 ? "" : "s"} from ${ref.owner}/${ref.repo} to ${values.out}.`);
  return 0;
}

/** The repository's artifact store (the app's signed records only) and its `.github/factory.yml`. */
async function openRepo(env: NodeJS.ProcessEnv, ref: { owner: string; repo: string }, appSlug: string | undefined) {
  const octokit = octokitFor(env, "read the repository");
  const slug = appSlug ?? env.FACTORY_APP_SLUG ?? "software-factory";
  const log = pino({ level: env.LOG_LEVEL ?? "warn" }, pino.destination(2));
  const store = new ArtifactStore(new RepoPort(octokit, ref), { botLogin: `${slug}[bot]`, key: stateKey(env), log });
  const { config: raw } = await octokit.config.get({ ...ref, path: CONFIG_PATH });
  const config = parseConfig(raw);
  if (!config.ok) throw new Error(`${CONFIG_PATH} in ${ref.owner}/${ref.repo} is invalid:\n  ${config.problems.join("\n  ")}`);
  return { store, config: config.config };
}

/** `--since`: a calendar day, from its start in UTC. */
function dayOf(value: string): number {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (!Number.isFinite(at) || new Date(at).toISOString().slice(0, 10) !== value) throw new UsageError(`--since must be a date, YYYY-MM-DD (got "${value}")`);
  return at;
}

/** A mistyped option is a usage error too: node's message names it, the usage text says what exists. */
function ledgerOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { repo: { type: "string" }, json: { type: "boolean", default: false }, "app-slug": { type: "string" } },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

if (invokedDirectly(import.meta.url)) {
  main(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`factory: ${error.message}\n\n${USAGE}`);
      else console.error(`factory: ${(error as Error).message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
