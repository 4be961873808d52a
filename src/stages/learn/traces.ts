import { z } from "zod";
import type { Artifact } from "../../state/fold.js";
import type { SignedRecord } from "../../state/records.js";
import { feedbackFor } from "../build/feedback.js";
import { latestOutput, promptMemo } from "../build/prompt.js";

/**
 * Traces: one JSON line per cell run (the scout's memo, each build attempt, each
 * verdict), in the shape of GEPA's reflective dataset: what the cell saw
 * (`inputs`), what it produced (`outputs`, GEPA's "Generated Outputs"), what came
 * back (`feedback`, text a reflection model reads, and `signals`, the same as data)
 * and a `score`. Everything is read from an artifact's signed records, nothing
 * else: what a record does not carry (the rendered prompt itself, the lessons'
 * text) is not in a line; a completed build names its template and digest. README "Traces" documents the shape.
 */
export const TRACE_VERSION = 1;

const request = { title: z.string(), goal: z.string(), criteria: z.array(z.string()) };

/** The scout's memo as recorded (`cells/scout/output.schema.json`): parsing it keeps these fields and no others. */
const scoutMemo = z.object({
  likelyFiles: z.array(z.object({ path: z.string(), score: z.number(), reasons: z.array(z.string()) })),
  relatedTests: z.array(z.object({ path: z.string(), covers: z.string() })),
  constraints: z.array(z.object({ source: z.string(), text: z.string() })),
  owners: z.array(z.object({ path: z.string(), owners: z.array(z.string()) })),
  verification: z.object({ commands: z.array(z.object({ command: z.string(), source: z.string() })), focused: z.string().nullable() }),
  notFound: z.array(z.string()),
  weights: z.string().optional(),
  stats: z.object({ filesConsidered: z.number(), filesRead: z.number(), historyCommits: z.number(), ms: z.number() }),
});

/**
 * What of a build summary (`cells/builder/output.schema.json`) a line carries. Left
 * out on purpose: `lastLines` (the harness's own terminal output, free text that may
 * echo whatever it printed) and `refusedEnv` (names from the runner's environment).
 */
const buildSummary = z.object({
  harness: z.string(),
  model: z.string().optional(),
  runner: z.enum(["local", "actions"]),
  durationMs: z.number(),
  headSha: z.string(),
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  files: z.array(z.string()),
  insertions: z.number(),
  deletions: z.number(),
  netLines: z.number(),
  costUsd: z.number().optional(),
  lessons: z.array(z.string()).optional(),
  prompt: z.object({ template: z.string(), digest: z.string() }).optional(),
});

/** The verifier's result (`cells/verifier/output.schema.json`). */
const verifyResult = z.object({
  verdict: z.enum(["pass", "fail"]),
  sha: z.string(),
  evidence: z.array(z.object({ kind: z.enum(["check", "status", "command"]), name: z.string(), state: z.enum(["pending", "success", "failure", "neutral"]), url: z.string().optional() })),
  summary: z.string(),
  failures: z.number(),
  acceptedBy: z.string().optional(),
});

/** A review that requested changes, with its inline comments on their paths. */
const review = z.object({
  by: z.string(),
  url: z.string(),
  body: z.string(),
  comments: z.array(z.object({ path: z.string(), line: z.number().int().nullable(), body: z.string(), url: z.string() })),
});

/** What happened downstream of a run, as data: the `feedback` text says the same in words. */
const signals = z.object({
  /** The verdict on the commit a build pushed (for a verifier run: its own). */
  verdict: z.object({ verdict: z.enum(["pass", "fail", "no-evidence"]), sha: z.string(), summary: z.string().optional() }).optional(),
  /** Reviews that requested changes after the build, before the next one started. */
  reviews: z.array(review).optional(),
  /** How the pull request ended, once it has. */
  outcome: z.enum(["merged", "closed"]).optional(),
  /** The files the change touched (the analyst's post-run metrics, up to 100): what the scout's memo is judged against. */
  changed: z.array(z.string()).optional(),
});

const failedRun = z.object({ outcome: z.literal("failed"), reason: z.string() });

const lineFields = {
  v: z.literal(TRACE_VERSION),
  /** `owner/name`, lower case. */
  repo: z.string(),
  /** `owner/name#issue`. */
  artifact: z.string(),
  /** The runner job's id; an inline run (the scout, a verdict on CI alone) has none and is `seq:<n>`, its result record's seq. */
  run: z.string(),
  /** This cell's n-th run on the artifact. */
  attempt: z.number().int().positive(),
  /** When the run started (its `stage.started` record; an inline run: its result's). */
  at: z.iso.datetime(),
  /** When its result was recorded. */
  endedAt: z.iso.datetime(),
  feedback: z.string(),
  signals,
  /** 1: its output passed downstream; 0: it did not; null: not known yet. The scout's is its recall@10. */
  score: z.number().min(0).max(1).nullable(),
};

/** The memo as the builder's prompt shows it (`renderBuilderPrompt`): the first ten of each list, the verify command. */
const promptMemoSchema = z.object({
  likelyFiles: z.array(z.object({ path: z.string(), why: z.string() })),
  relatedTests: z.array(z.object({ path: z.string(), covers: z.string() })),
  constraints: z.array(z.object({ source: z.string(), text: z.string() })),
  verify: z.string(),
});

export const traceLine = z.discriminatedUnion("cell", [
  z.object({
    ...lineFields,
    cell: z.literal("scout"),
    inputs: z.object(request),
    outputs: z.union([z.object({ outcome: z.literal("completed"), memo: scoutMemo.optional(), summary: z.string() }), failedRun]),
  }),
  z.object({
    ...lineFields,
    cell: z.literal("builder"),
    inputs: z.object({
      ...request,
      harness: z.string().optional(),
      runner: z.string(),
      /** The scout memo recorded before the build started. */
      memo: promptMemoSchema.optional(),
      /** What earlier attempts got wrong, as the prompt's feedback section has it (`feedbackFor`) when the build started. */
      feedback: z.array(z.object({ source: z.string(), text: z.string() })),
      /** The accepted lessons put in the prompt, by id (recorded in a completed build's summary only). */
      lessons: z.array(z.string()).optional(),
      /** The template the prompt was rendered from and its digest (recorded in a completed build's summary only). */
      prompt: z.object({ template: z.string(), digest: z.string() }).optional(),
    }),
    outputs: z.union([z.object({ outcome: z.literal("completed"), summary: z.string(), ...buildSummary.omit({ lessons: true, prompt: true }).partial().shape }), failedRun]),
  }),
  z.object({
    ...lineFields,
    cell: z.literal("verifier"),
    inputs: z.object({
      /** The commit judged. */
      sha: z.string().optional(),
      /** The build run whose head that commit is, if a build pushed it. */
      build: z.string().optional(),
    }),
    outputs: z.union([
      verifyResult.extend({ outcome: z.literal("completed") }),
      z.object({ outcome: z.literal("completed"), verdict: z.literal("no-evidence"), sha: z.string() }),
      failedRun,
    ]),
  }),
]);

export type TraceLine = z.infer<typeof traceLine>;
type Signals = z.infer<typeof signals>;
type Review = z.infer<typeof review>;
type Verdict = NonNullable<Signals["verdict"]>;

/** What the traces are read from: an artifact as the store loads it. */
export interface TracedArtifact {
  id: string;
  artifact: Artifact;
  /** The records that count, in chain order. */
  records: readonly SignedRecord[];
}

/** The artifact's cell runs that have a result, in the order their results were recorded. */
export function tracesOf(loaded: TracedArtifact): TraceLine[] {
  const { records } = loaded;
  const ended = endOf(records);
  const counts = { scout: 0, builder: 0, verifier: 0 };
  const traces: TraceLine[] = [];
  for (const [index, record] of records.entries()) {
    const line = (attempt: number, fields: RunFields<TraceLine["cell"]>) => lineOf(loaded.id, attempt, record.at, fields);
    const scout = resultOf(record, "scout");
    const build = resultOf(record, "build");
    if (scout) {
      traces.push(line(++counts.scout, scoutRun(loaded.artifact, scout, ended)));
    } else if (resultOf(record, "verify") || record.kind === "verify.no_evidence") {
      traces.push(line(++counts.verifier, verifierRun(records, index)));
    } else if (build?.data.job !== undefined) {
      const job = build.data.job;
      const start = records.findLastIndex((r, i) => i < index && r.kind === "stage.started" && r.data.stage === "build" && r.data.job === job);
      // A build that never started on a runner (no harness configured) ran no cell.
      if (start < 0) continue;
      traces.push(line(++counts.builder, builderRun(loaded.artifact, records, start, index)));
    }
  }
  return traces;
}

/** A trace as one JSON line, with anything shaped like a GitHub token blanked (CI output quoted in a failure summary could carry one). */
export function traceText(trace: TraceLine): string {
  // Each string is redacted before it is escaped: in JSON a token after a newline follows `\n`, where a word boundary is not.
  return JSON.stringify(trace, (_key, value: unknown) => (typeof value === "string" ? value.replace(TOKEN_SHAPE, "[redacted]") : value));
}

/** GitHub's token shapes, and the commonest other services' keys (npm, OpenAI/Anthropic-style, AWS, Slack). */
const TOKEN_SHAPE = /(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|npm_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,})/g;

type Result = Extract<SignedRecord, { kind: "stage.completed" | "stage.failed" }>;

/** The record as a stage's result: completed (a skipped stage records no output and ran nothing) or failed. */
function resultOf(record: SignedRecord, stage: string): Result | undefined {
  if (record.kind === "stage.failed") return record.data.stage === stage ? record : undefined;
  return record.kind === "stage.completed" && record.data.stage === stage && record.data.output !== undefined ? record : undefined;
}

type RunFields<C extends TraceLine["cell"]> = Omit<Extract<TraceLine, { cell: C }>, "v" | "repo" | "artifact" | "endedAt" | "attempt">;

/** A run's fields as a line: who and which run first, then when, then what went in, came out and came back. */
function lineOf(id: string, attempt: number, endedAt: string, fields: RunFields<TraceLine["cell"]>): TraceLine {
  const { cell, run, at, ...rest } = fields;
  return { v: TRACE_VERSION, repo: id.slice(0, id.lastIndexOf("#")), artifact: id, cell, run, attempt, at, endedAt, ...rest } as TraceLine;
}

/** The run's id: its job, else its result record's seq. */
function runId(job: string | undefined, record: SignedRecord): string {
  return job ?? `seq:${record.seq}`;
}

function scoutRun(artifact: Artifact, record: Result, ended: RunEnd | undefined): RunFields<"scout"> {
  const inputs = { title: artifact.title, goal: artifact.goal, criteria: artifact.criteria };
  const common = { cell: "scout" as const, run: runId(undefined, record), at: record.at, inputs };
  if (record.kind === "stage.failed") {
    return { ...common, outputs: { outcome: "failed", reason: record.data.reason }, feedback: `The scout failed: ${record.data.reason}`, signals: {}, score: 0 };
  }
  const memo = scoutMemo.safeParse(record.data.output);
  const outputs = { outcome: "completed" as const, summary: record.data.summary, ...(memo.success ? { memo: memo.data } : {}) };
  if (!ended) return { ...common, outputs, feedback: "No outcome yet: the pull request is still open, so the files the change touches are not known.", signals: {}, score: null };
  const signals = { outcome: ended.outcome, changed: ended.changed };
  if (!memo.success || ended.changed.length === 0) return { ...common, outputs, feedback: `The pull request was ${ended.outcome}; there is no list of changed files to judge the memo against.`, signals, score: null };
  const likely = memo.data.likelyFiles.slice(0, 10).map((f) => f.path);
  const hits = ended.changed.filter((path) => likely.includes(path));
  const missed = ended.changed.filter((path) => !likely.includes(path));
  const recall = hits.length / ended.changed.length;
  const feedback = [
    `The pull request was ${ended.outcome}. The change touched ${count(ended.changed.length, "file")}: ${list(ended.changed)}.`,
    `The memo's top ten likely files found ${hits.length} of them (recall@10 ${recall.toFixed(2)})${missed.length ? `; it missed ${list(missed)}` : ""}.`,
  ].join(" ");
  return { ...common, outputs, feedback, signals, score: recall };
}

/**
 * One build run: its inputs as the records stood when it started, its summary (or
 * failure), and what came of its head commit before the next build started.
 */
function builderRun(artifact: Artifact, records: readonly SignedRecord[], start: number, end: number): RunFields<"builder"> {
  const started = records[start] as Extract<SignedRecord, { kind: "stage.started" }>;
  const result = records[end] as Result;
  const before = records.slice(0, start);
  const memo = scoutMemo.safeParse(latestOutput(before, "scout"));
  const summary = result.kind === "stage.completed" ? buildSummary.safeParse(result.data.output) : undefined;
  const inputs = {
    title: artifact.title,
    goal: artifact.goal,
    criteria: artifact.criteria,
    ...(started.data.harness ? { harness: started.data.harness } : {}),
    runner: started.data.runner,
    ...(memo.success ? { memo: promptMemo(memo.data) } : {}),
    feedback: feedbackFor(before),
    ...(summary?.data?.lessons?.length ? { lessons: summary.data.lessons } : {}),
    ...(summary?.data?.prompt ? { prompt: summary.data.prompt } : {}),
  };
  const common = { cell: "builder" as const, run: started.data.job, at: started.at, inputs };
  if (result.kind === "stage.failed") {
    return { ...common, outputs: { outcome: "failed", reason: result.data.reason }, feedback: `The build failed: ${result.data.reason}`, signals: {}, score: 0 };
  }
  const { lessons: _lessons, prompt: _prompt, ...produced }: Partial<z.infer<typeof buildSummary>> = summary?.success ? summary.data : {};
  const outputs = { outcome: "completed" as const, summary: result.data.summary, ...produced };
  const next = records.findIndex((r, i) => i > end && r.kind === "stage.started" && r.data.stage === "build");
  const after = records.slice(end + 1, next < 0 ? undefined : next);
  const judged = downstream(after, produced.headSha, next >= 0);
  return { ...common, outputs, ...judged };
}

/** What came of a build's head: the verdict on it, requested changes, the PR's end; and the score that makes. */
function downstream(after: readonly SignedRecord[], head: string | undefined, superseded: boolean): { feedback: string; signals: Signals; score: number | null } {
  const verdict = head ? verdictOn(after, head) : undefined;
  const reviews = after.flatMap((r) => (r.kind === "review.changes_requested" ? [reviewOf(r.data)] : []));
  const ended = endOf(after);
  const signals: Signals = { ...(verdict ? { verdict } : {}), ...(reviews.length ? { reviews } : {}), ...(ended ? { outcome: ended.outcome } : {}) };
  const settled = superseded || ended !== undefined;
  const short = head?.slice(0, 7) ?? "its head";
  const parts = [
    !verdict
      ? settled
        ? `No verdict was reached on ${short}.`
        : `No verdict on ${short} yet.`
      : verdict.verdict === "pass"
        ? `The verifier passed ${short}.`
        : verdict.verdict === "fail"
          ? `The verifier failed ${short}:\n${verdict.summary ?? ""}`.trim()
          : `Nothing verified ${short}: no check, status or command reported.`,
    ...reviews.map(reviewText),
    ended ? `The pull request was ${ended.outcome === "merged" ? "merged" : "closed without merging"}.` : "",
  ];
  const score = verdict?.verdict === "fail" || reviews.length > 0 ? 0 : verdict?.verdict === "pass" ? (ended ? (ended.outcome === "merged" ? 1 : 0) : superseded ? 1 : null) : settled ? 0 : null;
  return { feedback: parts.filter(Boolean).join("\n\n"), signals, score };
}

/** One verdict (or no evidence, or a failed verify) and the run that reached it. */
function verifierRun(records: readonly SignedRecord[], end: number): RunFields<"verifier"> {
  const record = records[end] as Result | Extract<SignedRecord, { kind: "verify.no_evidence" }>;
  const result = record.kind === "stage.completed" ? verifyResult.safeParse(record.data.output) : undefined;
  const sha = record.kind === "verify.no_evidence" ? record.data.sha : result?.data?.sha;
  const job = record.kind === "verify.no_evidence" ? undefined : record.data.job;
  // A verdict after the commands ran and the checks were waited for names no job: its start is the one for the same commit.
  const started = records.findLast(
    (r, i): r is Extract<SignedRecord, { kind: "stage.started" }> => i < end && r.kind === "stage.started" && r.data.stage === "verify" && (job !== undefined ? r.data.job === job : sha !== undefined && r.data.sha === sha),
  );
  const build = sha ? builtHead(records.slice(0, end), sha) : undefined;
  const inputs = { ...(sha ? { sha } : {}), ...(build ? { build } : {}) };
  const common = { cell: "verifier" as const, run: runId(started?.data.job ?? job, record), at: started?.at ?? record.at, inputs };
  if (record.kind === "stage.failed") return { ...common, outputs: { outcome: "failed", reason: record.data.reason }, feedback: `The verifier failed to reach a verdict: ${record.data.reason}`, signals: {}, score: 0 };
  if (record.kind === "verify.no_evidence") {
    return { ...common, outputs: { outcome: "completed", verdict: "no-evidence", sha: record.data.sha }, feedback: `Nothing reported on ${record.data.sha.slice(0, 7)} within ${record.data.graceMinutes} min: no verdict.`, signals: { verdict: { verdict: "no-evidence", sha: record.data.sha } }, score: null };
  }
  if (!result?.success) return { ...common, outputs: { outcome: "failed", reason: `the recorded verdict does not read as the verifier's output (${record.data.summary})` }, feedback: record.data.summary, signals: {}, score: null };
  const v = result.data;
  const ran = v.evidence.map((e) => `\`${e.name}\` ${e.state}`).join(", ");
  const feedback = v.verdict === "pass" ? `Passed at ${v.sha.slice(0, 7)}${ran ? `: ${ran}` : v.acceptedBy ? `, accepted without evidence by @${v.acceptedBy}` : ""}.` : `Failed at ${v.sha.slice(0, 7)}: ${count(v.failures, "failure")}.\n${v.summary}`.trim();
  return { ...common, outputs: { outcome: "completed", ...v }, feedback, signals: { verdict: verdictOf(v) }, score: v.verdict === "pass" ? 1 : 0 };
}

interface RunEnd {
  outcome: "merged" | "closed";
  changed: string[];
}

/** The post-run note's facts, if the run has ended. */
function endOf(records: readonly SignedRecord[]): RunEnd | undefined {
  const ended = records.findLast((r) => r.kind === "run.ended");
  if (ended?.kind !== "run.ended") return undefined;
  const changed = z.array(z.string()).safeParse((ended.data.metrics.scout as { changed?: unknown } | undefined)?.changed);
  return { outcome: ended.data.outcome, changed: changed.success ? changed.data : [] };
}

/** The first verdict on `sha` (or that nothing reported on it) among `records`. */
function verdictOn(records: readonly SignedRecord[], sha: string): Verdict | undefined {
  for (const r of records) {
    if (r.kind === "verify.no_evidence" && r.data.sha === sha) return { verdict: "no-evidence", sha };
    if (r.kind !== "stage.completed" || r.data.stage !== "verify") continue;
    const v = verifyResult.safeParse(r.data.output);
    if (v.success && v.data.sha === sha) return verdictOf(v.data);
  }
  return undefined;
}

function verdictOf(v: z.infer<typeof verifyResult>): Verdict {
  return { verdict: v.verdict, sha: v.sha, ...(v.verdict === "fail" && v.summary ? { summary: v.summary } : {}) };
}

/** The build run whose summary names `sha` as its head. */
function builtHead(records: readonly SignedRecord[], sha: string): string | undefined {
  const built = records.findLast((r) => r.kind === "stage.completed" && r.data.stage === "build" && r.data.output?.headSha === sha);
  return built?.kind === "stage.completed" ? built.data.job : undefined;
}

function reviewOf(data: Extract<SignedRecord, { kind: "review.changes_requested" }>["data"]): Review {
  return { by: data.by, url: data.url, body: data.body, comments: data.comments.map(({ path, line, body, url }) => ({ path, line, body, url })) };
}

/** A review in words, the way the builder's prompt quotes one. */
function reviewText(r: Review): string {
  const inline = r.comments.map((c) => `- \`${c.path}${c.line ? `:${c.line}` : ""}\`: ${c.body}`);
  return [`@${r.by} requested changes:`, r.body, ...inline].filter(Boolean).join("\n");
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function list(paths: readonly string[], max = 10): string {
  const shown = paths.slice(0, max).join(", ");
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}
