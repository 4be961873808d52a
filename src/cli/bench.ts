import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchLoad, loadTable } from "./bench-load.js";
import { invokedDirectly } from "./invoked.js";
import { LocalGitReader } from "../cells/repo/local-git-reader.js";
import { bm25Baseline } from "../stages/scout/baseline.js";
import { rankFiles, snapshotRepo } from "../stages/scout/localize.js";
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
  times: Record<Mode, number[]>;
}

const emptyTally = (): Tally => ({ scores: { full: [], issue: [] }, times: { full: [], issue: [] } });

const USAGE = `Usage: npm run bench -- scout --cases <file.jsonl> --repo <git dir> [--cases … --repo …] [--json] [--limit n] [--files-read n]
  --files-read n: read at most n files' contents, as the scout does on GitHub (default: read all).
  Each --cases file is paired with the --repo at the same position: a local clone or bare mirror holding the cases' base commits.
       npm run bench -- load [--deliveries n] [--processes 1,2] [--rounds 3]
  Bursts of n concurrent signed deliveries (default 200) to the app on the GitHub double, with 1 and with 2 app
  processes on a real redis-server (redis-server must be installed), and to a bare Probot app; the last line is JSON.`;

function query(c: BenchCase, mode: Mode): string {
  return mode === "full" ? `${c.title}\n\n${c.body}` : issueTitle(c.title);
}

/** Localization benchmark: the scout and a plain BM25 baseline on the same cases, in one run. */
export async function benchScout(pairs: Array<{ cases: string; repo: string }>, options: { limit?: number; filesRead?: number; log: (line: string) => void }) {
  const scout = new Map<string, Tally>();
  const baseline = new Map<string, Tally>();
  for (const pair of pairs) {
    const cases = readFileSync(pair.cases, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as BenchCase)
      .slice(0, options.limit);
    for (const c of cases) {
      const s = scout.get(c.repo) ?? emptyTally();
      const b = baseline.get(c.repo) ?? emptyTally();
      scout.set(c.repo, s);
      baseline.set(c.repo, b);
      const readStart = performance.now();
      const snapshot = await snapshotRepo(new LocalGitReader(pair.repo, c.base));
      const readMs = performance.now() - readStart;
      for (const mode of MODES) {
        const q = query(c, mode);
        let t = performance.now();
        // With a read budget, the scout runs as it does on GitHub: it reads only the files it chooses.
        const ranked = options.filesRead
          ? (await scoutCell(new LocalGitReader(pair.repo, c.base), { title: q, goal: "", criteria: [] }, { filesRead: options.filesRead, historyCommits: 1000 })).likelyFiles.map((f) => f.path)
          : rankFiles(q, snapshot).map((r) => r.path);
        s.times[mode].push(readMs + performance.now() - t);
        s.scores[mode].push(scoreRanking(ranked, c.gold));
        t = performance.now();
        const base = bm25Baseline(q, snapshot.files, snapshot.contents);
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
  return {
    overall: summarize(scout, repos),
    baseline: summarize(baseline, repos),
    repos: Object.fromEntries(repos.map((r) => [r, { scout: summarize(scout, [r]), baseline: summarize(baseline, [r]) }])),
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

export async function main(argv: string[], log: (line: string) => void): Promise<number> {
  const [target, ...rest] = argv;
  if (target === "load") return mainLoad(rest, log);
  if (target !== "scout") {
    log(USAGE);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { cases: { type: "string", multiple: true }, repo: { type: "string", multiple: true }, json: { type: "boolean", default: false }, limit: { type: "string" }, "files-read": { type: "string" } },
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
  const limit = values.limit ? Number(values.limit) : undefined;
  const result = await benchScout(
    cases.map((c, i) => ({ cases: c, repo: repos[i] as string })),
    { ...(limit ? { limit } : {}), ...(values["files-read"] ? { filesRead: Number(values["files-read"]) } : {}), log },
  );
  const header = "           r@1    r@5    r@10   hit@5  mrr    med ms  p95 ms";
  for (const [repo, r] of Object.entries(result.repos)) {
    for (const mode of MODES) {
      log(`\n${repo} (${mode}, ${r.scout[mode].cases} cases)\n${header}\n${row("scout", r.scout[mode])}\n${row("bm25", r.baseline[mode])}`);
    }
  }
  for (const mode of MODES) log(`\noverall (${mode})\n${header}\n${row("scout", result.overall[mode])}\n${row("bm25", result.baseline[mode])}`);
  if (values.json) {
    const strip = (s: Summary) => {
      const { cases: _cases, ...rest } = s;
      return rest;
    };
    const shape = (x: { full: Summary; issue: Summary }) => ({ full: strip(x.full), issue: strip(x.issue) });
    log(JSON.stringify({ overall: shape(result.overall), baseline: shape(result.baseline), repos: Object.fromEntries(Object.entries(result.repos).map(([k, v]) => [k, { ...shape(v.scout), baseline: shape(v.baseline) }])) }));
  }
  return 0;
}

if (invokedDirectly(import.meta.url)) process.exitCode = await main(process.argv.slice(2), (line) => console.log(line));
