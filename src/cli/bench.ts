import { isChangelog, isWrittenText } from "../stages/scout/candidates.js";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchLearn, learnReport } from "./bench-learn.js";
import { benchLoad, loadTable } from "./bench-load.js";
import { invokedDirectly } from "./invoked.js";
import { execFileSync } from "node:child_process";
import { LocalGitReader, pastChanges } from "../cells/repo/local-git-reader.js";
import { calibrateFromGit } from "../stages/learn/calibrate-git.js";
import { mineCases, type Calibration } from "../stages/learn/scout-calibration.js";
import { baselineIndex, bm25Baseline } from "../stages/scout/baseline.js";
import { indexSnapshot, rankFiles, snapshotRepo, WEIGHTS, type Weights } from "../stages/scout/localize.js";
import { issueTitle, scoreRanking, summarise, type CaseScore, type Summary } from "../stages/scout/metrics.js";
import { scout as scoutCell } from "../stages/scout/scout.js";

interface BenchCase {
  id: string;
  repo: string;
  base: string;
  title: string;
  body: string;
  gold: string[];
}

type Mode = "full" | "issue";
const MODES: Mode[] = ["full", "issue"];

interface Tally {
  scores: Record<Mode, CaseScore[]>;
  /** Per case: reading the snapshot and indexing it, plus the query. */
  times: Record<Mode, number[]>;
  /** The two apart: the index once per case's snapshot, each query after it. */
  indexTimes: number[];
  queryTimes: Record<Mode, number[]>;
}

const emptyTally = (): Tally => ({ scores: { full: [], issue: [] }, times: { full: [], issue: [] }, indexTimes: [], queryTimes: { full: [], issue: [] } });

const USAGE = `Usage: npm run bench -- scout --cases <file.jsonl> --repo <git dir> [--cases … --repo …] [--json] [--limit n] [--files-read n] [--calibrate]
  --files-read n: read at most n files' contents, as the scout does on GitHub (default: read all).
  --calibrate: per repository, fit the scout's weights on past changes older than every case's base (no leakage),
  keep them only if a held-out slice of that history rises by the margin, and report the calibrated scout too.
  Each --cases file is paired with the --repo at the same position: a local clone or bare mirror holding the cases' base commits.
       npm run bench -- mine --repo <git dir> --name <owner/repo> [--count 100] [--from <commit>]
  Prints localization cases (JSON lines, the format above) mined from the repository's history, newest first:
  non-merge changes that read like requests and modify 1 to 8 files.
       npm run bench -- learn
  GEPA over the builder's prompt, offline: scripted artifacts, harness and reflection model; the held-out score
  before and after, metric calls, cost, candidates, and a harmful reflection's candidate refused. Last line JSON.
       npm run bench -- load [--deliveries n] [--processes 1,2] [--rounds 3]
  Bursts of n concurrent signed deliveries (default 200) to the app on the GitHub double, with 1 and with 2 app
  processes on a real redis-server (redis-server must be installed), and to a bare Probot app; the last line is JSON.`;

function query(c: BenchCase, mode: Mode): string {
  return mode === "full" ? `${c.title}\n\n${c.body}` : issueTitle(c.title);
}

/**
 * Calibration as `factory learn scout` does it, on the history strictly older than
 * every case's base: the oldest base's ancestors, never a case's own change.
 */
export async function calibrateFor(gitDir: string, bases: readonly string[], log: (line: string) => void): Promise<Calibration & { ms: number; commit: string }> {
  const time = (sha: string) => Number(execFileSync("git", ["--git-dir", gitDir, "log", "-1", "--format=%ct", sha], { encoding: "utf8" }).trim());
  const cutoff = [...new Set(bases)].map((sha) => ({ sha, at: time(sha) })).sort((a, b) => a.at - b.at)[0]?.sha as string;
  const result = await calibrateFromGit(gitDir, `${cutoff}~1`);
  log(`  calibration on ${result.mined} past changes before ${cutoff.slice(0, 7)} (${(result.ms / 1000).toFixed(1)} s): ${result.reason}`);
  return result;
}

const median = (values: readonly number[]) => Math.round((([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0) * 10)) / 10;

/** The scout's time split: the index (read and built once per snapshot) and the queries against it. */
function timing(t: Tally) {
  return { index_median_ms: median(t.indexTimes), query_median_ms: { full: median(t.queryTimes.full), issue: median(t.queryTimes.issue) } };
}

/** Localization benchmark: the scout and a plain BM25 baseline on the same cases, in one run (and the calibrated scout, when asked). */
export async function benchScout(pairs: Array<{ cases: string; repo: string }>, options: { limit?: number; filesRead?: number; calibrate?: boolean; log: (line: string) => void }) {
  const scout = new Map<string, Tally>();
  const calibrated = new Map<string, Tally>();
  const baseline = new Map<string, Tally>();
  const calibrations = new Map<string, Calibration & { ms: number; commit: string }>();
  for (const pair of pairs) {
    const cases = readFileSync(pair.cases, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as BenchCase)
      .slice(0, options.limit);
    let weights: Weights | undefined;
    if (options.calibrate && cases[0]) {
      const calibration = await calibrateFor(pair.repo, cases.map((c) => c.base), options.log);
      calibrations.set(cases[0].repo, calibration);
      weights = calibration.weights;
    }
    for (const c of cases) {
      const s = scout.get(c.repo) ?? emptyTally();
      const b = baseline.get(c.repo) ?? emptyTally();
      scout.set(c.repo, s);
      baseline.set(c.repo, b);
      const readStart = performance.now();
      const reader = new LocalGitReader(pair.repo, c.base);
      const snapshot = await snapshotRepo(reader);
      indexSnapshot(snapshot);
      const readMs = performance.now() - readStart;
      // The baseline is plain BM25: it ranks changelogs too (the scout leaves them to the memo's constraints).
      const logs = (await reader.listFiles()).filter((f) => isChangelog(f.path) && isWrittenText(f.path, f.size)).map((f) => f.path);
      const plain = logs.length ? await (async () => {
        const files = [...snapshot.files, ...logs];
        const contents = new Map([...snapshot.contents, ...(await reader.readFiles(logs))]);
        return { files, contents, index: baselineIndex(files, contents) };
      })() : undefined;
      s.indexTimes.push(readMs);
      for (const mode of MODES) {
        const q = query(c, mode);
        let t = performance.now();
        // With a read budget, the scout runs as it does on GitHub: it reads only the files it chooses.
        const ranked = options.filesRead
          ? (await scoutCell(new LocalGitReader(pair.repo, c.base), { title: q, goal: "", criteria: [] }, { filesRead: options.filesRead, historyCommits: 1000 })).likelyFiles.map((f) => f.path)
          : rankFiles(q, snapshot).map((r) => r.path);
        s.times[mode].push(readMs + performance.now() - t);
        s.queryTimes[mode].push(performance.now() - t);
        s.scores[mode].push(scoreRanking(ranked, c.gold));
        if (weights) {
          const k = calibrated.get(c.repo) ?? emptyTally();
          calibrated.set(c.repo, k);
          t = performance.now();
          const fitted = weights === WEIGHTS ? ranked : rankFiles(q, snapshot, [], weights).map((r) => r.path);
          k.times[mode].push(readMs + performance.now() - t);
          k.scores[mode].push(scoreRanking(fitted, c.gold));
        }
        t = performance.now();
        const base = plain ? bm25Baseline(q, plain.files, plain.contents, plain.index) : bm25Baseline(q, snapshot.files, snapshot.contents, indexSnapshot(snapshot).bm25);
        b.times[mode].push(readMs + performance.now() - t);
        b.scores[mode].push(scoreRanking(base, c.gold));
      }
    }
    options.log(`  ${pair.cases}: ${cases.length} cases`);
  }
  const summarize = (tallies: Map<string, Tally>, repos: string[]) => {
    const merged = emptyTally();
    for (const repo of repos) {
      const t = tallies.get(repo) as Tally;
      for (const mode of MODES) {
        merged.scores[mode].push(...t.scores[mode]);
        merged.times[mode].push(...t.times[mode]);
      }
    }
    return { full: summarise(merged.scores.full, merged.times.full), issue: summarise(merged.scores.issue, merged.times.issue) };
  };
  const repos = [...scout.keys()];
  const withCalibration = options.calibrate && calibrated.size === repos.length;
  return {
    overall: summarize(scout, repos),
    baseline: summarize(baseline, repos),
    ...(withCalibration ? { calibrated: summarize(calibrated, repos) } : {}),
    repos: Object.fromEntries(
      repos.map((r) => [
        r,
        {
          scout: summarize(scout, [r]),
          baseline: summarize(baseline, [r]),
          timing: timing(scout.get(r) as Tally),
          ...(withCalibration ? { calibrated: summarize(calibrated, [r]), calibration: calibrations.get(r) } : {}),
        },
      ]),
    ),
  };
}

function row(name: string, s: Summary): string {
  const f = (n: number) => n.toFixed(3);
  return `${name.padEnd(10)} ${f(s["recall@1"])}  ${f(s["recall@5"])}  ${f(s["recall@10"])}  ${f(s["hit@5"])}  ${f(s.mrr)}  ${s.median_ms.toFixed(0).padStart(6)}  ${s.p95_ms.toFixed(0).padStart(6)}`;
}

async function mainLoad(args: string[], log: (line: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { deliveries: { type: "string", default: "200" }, processes: { type: "string", default: "1,2" }, rounds: { type: "string", default: "3" } } }));
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const deliveries = Number(values.deliveries);
  const rounds = Number(values.rounds);
  const processes = values.processes.split(",").map(Number);
  if (!Number.isInteger(deliveries) || deliveries < 5 || !Number.isInteger(rounds) || rounds < 1 || processes.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) {
    log(`--deliveries must be a whole number of at least 5, --rounds at least 1, --processes a list of 1 to 8\n${USAGE}`);
    return 2;
  }
  const runs = await benchLoad({ deliveries, processes, rounds, log });
  log(`\n${loadTable(runs)}`);
  for (const run of runs) for (const problem of run.problems.slice(0, 20)) log(`  ${run.processes}: ${problem}`);
  log(JSON.stringify({ deliveries, rounds, runs: runs.map(({ problems: _problems, ...run }) => run) }));
  return runs.every((r) => r.duplicates === 0 && r.lost === 0) ? 0 : 1;
}

async function mainMine(args: string[], log: (line: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { repo: { type: "string" }, name: { type: "string" }, count: { type: "string", default: "100" }, from: { type: "string", default: "HEAD" } } }));
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const count = Number(values.count);
  if (!values.repo || !values.name || !Number.isInteger(count) || count < 1) {
    log(`--repo and --name are required, --count a whole number\n${USAGE}`);
    return 2;
  }
  const notGit = gitDirProblem(values.repo);
  if (notGit) {
    log(notGit);
    return 2;
  }
  const mined = mineCases(await pastChanges(values.repo, values.from, count * 20)).slice(0, count);
  for (const c of mined) {
    log(JSON.stringify({ id: `${values.name}@${c.sha.slice(0, 7)}`, repo: values.name, base: c.base, commit: c.sha, title: c.title, body: c.body, gold: c.gold }));
  }
  return mined.length ? 0 : 1;
}

/** Why `gitDir` cannot be read as a repository, or undefined when it can. */
function gitDirProblem(gitDir: string): string | undefined {
  try {
    execFileSync("git", ["--git-dir", gitDir, "rev-parse", "--git-dir"], { stdio: "pipe" });
    return undefined;
  } catch {
    return `--repo ${gitDir} is not a git directory: give a bare mirror or a clone's .git folder`;
  }
}

/** What is wrong with one --cases file and the --repo it is paired with, in words (nothing: an empty list). */
function pairProblems(casesFile: string, gitDir: string): string[] {
  const notGit = gitDirProblem(gitDir);
  if (notGit) return [notGit];
  let text: string;
  try {
    text = readFileSync(casesFile, "utf8");
  } catch (error) {
    return [`--cases ${casesFile} cannot be read: ${(error as Error).message}`];
  }
  const bases: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    let c: Partial<BenchCase> | undefined;
    try {
      c = JSON.parse(line) as Partial<BenchCase>;
    } catch {
      c = undefined;
    }
    if (typeof c?.base !== "string" || typeof c.title !== "string" || !Array.isArray(c.gold)) return [`--cases ${casesFile}: line ${i + 1} is not a case (one JSON object per line, with base, title, body and gold; \`npm run bench -- mine\` writes them)`];
    bases.push(c.base);
  }
  if (bases.length === 0) return [`--cases ${casesFile} holds no cases`];
  const checked = execFileSync("git", ["--git-dir", gitDir, "cat-file", "--batch-check"], { input: bases.map((b) => `${b}^{commit}`).join("\n") + "\n", encoding: "utf8" });
  const missing = checked.split("\n").filter((l) => l.endsWith(" missing")).map((l) => l.slice(0, 7));
  return missing.length ? [`--cases ${casesFile}: ${missing.length} case${missing.length === 1 ? "'s base commit is" : "s' base commits are"} not in --repo ${gitDir} (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}): pair the file with the repository it was mined from, or fetch them`] : [];
}

export async function main(argv: string[], log: (line: string) => void): Promise<number> {
  const [target, ...rest] = argv;
  if (target === "load") return mainLoad(rest, log);
  if (target === "mine") return mainMine(rest, log);
  if (target === "learn") {
    const result = await benchLearn();
    for (const line of learnReport(result)) log(line);
    const brief = (r: typeof result.honest) => ({ before: r.seed.score, after: r.best.score, accepted: r.accepted, metricCalls: r.metricCalls, cost: Math.round(r.cost * 100) / 100, candidates: r.candidates.length, front: r.front.length });
    log(JSON.stringify({ honest: brief(result.honest), harmful: brief(result.harmful) }));
    // The benchmark fails when the search did not help, or when a harmful candidate got through.
    return result.honest.accepted && !result.harmful.accepted ? 0 : 1;
  }
  if (target !== "scout") {
    log(USAGE);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        cases: { type: "string", multiple: true },
        repo: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        limit: { type: "string" },
        "files-read": { type: "string" },
        calibrate: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const cases = values.cases ?? [];
  const repos = values.repo ?? [];
  if (cases.length === 0 || cases.length !== repos.length) {
    log(USAGE);
    return 2;
  }
  const problems = cases.flatMap((c, i) => pairProblems(c, repos[i] as string));
  if (problems.length) {
    log(problems.join("\n"));
    return 2;
  }
  const limit = values.limit ? Number(values.limit) : undefined;
  const result = await benchScout(
    cases.map((c, i) => ({ cases: c, repo: repos[i] as string })),
    { ...(limit ? { limit } : {}), ...(values["files-read"] ? { filesRead: Number(values["files-read"]) } : {}), calibrate: values.calibrate, log },
  );
  const header = "           r@1    r@5    r@10   hit@5  mrr    med ms  p95 ms";
  for (const [repo, r] of Object.entries(result.repos)) {
    log(`\n${repo}: index (snapshot read and indexed, once per base) median ${r.timing.index_median_ms} ms; query median ${r.timing.query_median_ms.full} ms (full), ${r.timing.query_median_ms.issue} ms (issue)`);
    for (const mode of MODES) {
      log(`\n${repo} (${mode}, ${r.scout[mode].cases} cases)\n${header}\n${row("scout", r.scout[mode])}${r.calibrated ? `\n${row("calibrated", r.calibrated[mode])}` : ""}\n${row("bm25", r.baseline[mode])}`);
    }
  }
  for (const mode of MODES) {
    log(`\noverall (${mode})\n${header}\n${row("scout", result.overall[mode])}${result.calibrated ? `\n${row("calibrated", result.calibrated[mode])}` : ""}\n${row("bm25", result.baseline[mode])}`);
  }
  if (values.json) {
    const strip = (s: Summary) => {
      const { cases: _cases, ...rest } = s;
      return rest;
    };
    const shape = (x: { full: Summary; issue: Summary }) => ({ full: strip(x.full), issue: strip(x.issue) });
    log(
      JSON.stringify({
        overall: shape(result.overall),
        baseline: shape(result.baseline),
        ...(result.calibrated ? { calibrated: shape(result.calibrated) } : {}),
        repos: Object.fromEntries(
          Object.entries(result.repos).map(([k, v]) => [
            k,
            {
              ...shape(v.scout),
              baseline: shape(v.baseline),
              timing: v.timing,
              ...(v.calibrated && v.calibration
                ? { calibrated: shape(v.calibrated), calibration: { accepted: v.calibration.accepted, weights: v.calibration.weights, heldOut: v.calibration.heldOut, fit: v.calibration.fit, seconds: Math.round(v.calibration.ms / 100) / 10 } }
                : {}),
            },
          ]),
        ),
      }),
    );
  }
  return 0;
}

if (invokedDirectly(import.meta.url)) process.exitCode = await main(process.argv.slice(2), (line) => console.log(line));
