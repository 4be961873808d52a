import { checkOutput, contractFor } from "../../cells/contracts.js";
import { clipLine } from "../../cells/process.js";
import { jobId } from "../../cells/queue.js";
import type { FactoryConfig } from "../../config/schema.js";
import type { Annotation } from "../../github/repo-port.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { SignedRecord } from "../../state/records.js";
import { stageFailedView, verifierResultView } from "../../views/comments.js";
import { fitBody } from "../../views/render.js";
import type { Line } from "../advance.js";
import { collectEvidence } from "./evidence.js";
import { criteriaEvidence, type CriterionEvidence } from "./criteria.js";
import { failureSummary, judge, VERIFY_CHECK, type Evidence } from "./verdict.js";

/** The verifier's output: `stage.completed` data for verify, bound to one commit. */
export interface VerifyOutput {
  verdict: "pass" | "fail";
  sha: string;
  evidence: Array<Pick<Evidence, "kind" | "name" | "state" | "url">>;
  /** The shortest failure summary; empty on a pass. */
  summary: string;
  failures: number;
  /** A pass with no evidence that a person accepted (`/factory verify --accept-no-evidence`). */
  acceptedBy?: string;
  /** Each success criterion with the evidence for it at this commit, or "needs a person". */
  criteria?: CriterionEvidence[];
}

/** Where the verify commands' results come from when they ran: a verifier job at this commit. */
export interface CommandEvidence {
  sha: string;
  evidence: Evidence[];
  /** Just ran (from the job), rather than read back from a record. */
  fresh?: boolean;
}

/** A hidden record shares its comment's 65,536 characters: what a record of evidence may take. */
const EVIDENCE_RECORD_LIMIT = 30_000;

/**
 * Evidence small enough to keep in a record: each failure's excerpt shortened, then
 * dropped, until it fits; the failures' names, messages and places always stay.
 */
export function compactEvidence(evidence: readonly Evidence[], limit = EVIDENCE_RECORD_LIMIT): Evidence[] {
  for (const lines of [8, 3, 0]) {
    const compact = evidence.map((e) => ({
      ...e,
      ...(e.failures ? { failures: e.failures.slice(0, 5).map((f) => ({ ...f, message: clipLine(f.message, 300), lines: f.lines.slice(0, lines).map((l) => clipLine(l, 200)) })) } : {}),
    }));
    if (JSON.stringify(compact).length <= limit || lines === 0) return compact;
  }
  return [...evidence];
}

type AboutCommit = "verify.waiting" | "verify.evidence" | "verify.no_evidence" | "verify.accepted";

/**
 * The newest record of one of `kinds` about commit `sha`, if any. With `sinceAsked`,
 * only since a person last asked for a verify: they get an answer of their own.
 */
function latest<K extends AboutCommit>(loaded: LoadedArtifact, kinds: readonly K[], sha: string, options: { sinceAsked?: boolean } = {}): Extract<SignedRecord, { kind: K }> | undefined {
  const asked = options.sinceAsked ? loaded.records.findLastIndex((r) => r.kind === "command.retry" && r.data.stage === "verify") : -1;
  return loaded.records.findLast((r, i): r is Extract<SignedRecord, { kind: K }> => i > asked && (kinds as readonly string[]).includes(r.kind) && (r.data as { sha?: string }).sha === sha);
}

/** When the verifier began waiting for CI on this commit: its `verify.waiting`, or when the commands' results were kept. */
function waitingSinceOf(loaded: LoadedArtifact, sha: string): string | undefined {
  const r = latest(loaded, ["verify.waiting", "verify.evidence"], sha);
  return r?.kind === "verify.waiting" ? r.data.since : r?.at;
}

/**
 * The checks that must report before a verdict, and who says so: `verify.requiredChecks`
 * when set, else the base branch's required status checks (branch protection and
 * rulesets). The factory's own gate and the ignored checks are never waited for.
 */
async function expectedChecks(port: GitHubStore["port"], config: FactoryConfig, base: string | undefined): Promise<{ required: string[]; requiredBy: string }> {
  if (config.verify.requiredChecks.length > 0) return { required: config.verify.requiredChecks, requiredBy: "required by `verify.requiredChecks`" };
  if (!base) return { required: [], requiredBy: "" };
  const skip = new Set([VERIFY_CHECK, ...config.verify.ignoreChecks]);
  const required = (await port.requiredChecks(base)).filter((name) => !skip.has(name));
  return { required, requiredBy: `required by \`${base}\`'s branch protection or rulesets` };
}

/** The commands' results an earlier evaluation of this commit recorded. */
function recordedCommands(loaded: LoadedArtifact, sha: string): CommandEvidence | undefined {
  const r = latest(loaded, ["verify.evidence"], sha);
  return r && { sha, evidence: r.data.evidence as unknown as Evidence[] };
}

/**
 * Verifies the artifact's PR head: its check runs and statuses, plus the verify
 * commands' results when the config lists commands (those run as a job first; the
 * job calls back here with them). Pending evidence updates the `factory/verify`
 * check run and records nothing; a verdict updates the check run, posts the
 * verifier result with its record, and, on a pass, marks the PR ready for review.
 */
export async function runVerify(
  store: GitHubStore,
  config: FactoryConfig,
  line: Line,
  loaded: LoadedArtifact,
  key: string,
  commands?: CommandEvidence,
): Promise<SignedRecord | undefined> {
  const { port } = store;
  const contract = contractFor(line.contracts, "verify");
  const pr = loaded.artifact.pr as number;
  const pull = await port.getPull(pr);
  const sha = pull.headSha;
  const runs = await port.checkRuns(sha);
  // The gate's run is the app's own: a CI job that happens to be named `factory/verify` is evidence, not ours to update (GitHub refuses, 403).
  const own = store.botLogin.replace(/\[bot\]$/, "");
  const ours = runs.find((r) => r.name === VERIFY_CHECK && (r.appSlug === undefined || r.appSlug === own));
  commands ??= recordedCommands(loaded, sha);

  if (config.verify.commands.length > 0 && commands?.sha !== sha) {
    // The commands run on the local runner; its job comes back here with their results.
    const job = jobId("verify", loaded.issue, key);
    const record = store.record(loaded, "stage.started", { stage: "verify", runner: "local", job, harness: "commands", sha }, key);
    const running = { status: "in_progress" as const, title: "Running the verify commands", summary: config.verify.commands.map((c) => `- \`${c}\``).join("\n") };
    if (ours) await port.updateCheckRun(ours.id, running);
    else await port.createCheckRun({ name: VERIFY_CHECK, sha, ...running });
    await port.createComment(pr, fitBody(`### Verify started\n\nRunning ${config.verify.commands.map((c) => `\`${c}\``).join(", ")} at ${sha.slice(0, 7)} on the local runner (job \`${job}\`), then reading the checks.`, [store.block(record)]));
    await line.queue.add({ id: job, cell: "verifier", installationId: line.installationId, owner: port.ref.owner, repo: port.ref.repo, issue: loaded.issue, config, sha });
    return record;
  }

  const evidence = [...(commands?.evidence ?? []), ...(await collectEvidence(port, sha, runs, { ignore: config.verify.ignoreChecks, ownApp: own }))];
  const { required, requiredBy } = await expectedChecks(port, config, pull.baseRef);
  const waitingSince = waitingSinceOf(loaded, sha);
  const now = (line.now ?? (() => new Date()))();
  const graceMs = config.verify.ciGraceMinutes * 60_000;
  const graceOver = waitingSince !== undefined ? now.getTime() >= Date.parse(waitingSince) + graceMs : graceMs === 0;
  const accepted = latest(loaded, ["verify.accepted"], sha)?.data;
  const judgement = judge(evidence, { required, graceOver, accepted: accepted !== undefined });
  const setCheck = async (input: { status: "in_progress" | "completed"; conclusion?: "success" | "failure" | "neutral"; title: string; summary: string; text?: string; annotations?: Annotation[] }) => {
    if (ours) await port.updateCheckRun(ours.id, input);
    else await port.createCheckRun({ name: VERIFY_CHECK, sha, ...input });
  };

  if (judgement.verdict === "pending") {
    const { missing, registering } = judgement;
    // Waiting for CI to show up: a timer wakes the line when the grace period ends, if no check event does first.
    const forCi = registering || missing.length > 0;
    const since = waitingSince ?? now.toISOString();
    if (forCi && !graceOver) await line.later({ kind: "verify.grace", issue: loaded.issue, sha }, Math.max(0, Date.parse(since) + graceMs - now.getTime()));
    const named = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(", ");
    const what = registering
      ? `No check or status has reported on \`${sha.slice(0, 7)}\` yet. The verifier waits up to ${config.verify.ciGraceMinutes} min (\`verify.ciGraceMinutes\`) for CI to register, then judges what is there.`
      : missing.length > 0
        ? `Waiting on ${named(judgement.waitingOn)} at \`${sha.slice(0, 7)}\`; ${missing.length === 1 ? "the required check" : "the required checks"} ${named(missing)} (${requiredBy}) ${missing.length === 1 ? "has" : "have"} not reported yet.`
        : `Waiting on ${named(judgement.waitingOn)} at \`${sha.slice(0, 7)}\`; the verdict follows when ${judgement.waitingOn.length === 1 ? "it finishes" : "they finish"}.`;
    await setCheck(
      registering
        ? { status: "in_progress", title: "Waiting for CI to register", summary: what }
        : { status: "in_progress", title: `Waiting on ${judgement.waitingOn.length} check${judgement.waitingOn.length === 1 ? "" : "s"}`, summary: judgement.waitingOn.map((n) => `- ${n}${missing.includes(n) ? ` (required: ${requiredBy}; not reported yet)` : ""}`).join("\n") },
    );
    line.log.info({ artifact: loaded.id, sha, waiting: judgement.waitingOn, missing, registering }, "verify: pending");
    const job = loaded.artifact.running?.stage === "verify" ? loaded.artifact.running.job : undefined;
    if (commands?.fresh && job) {
      // The commands ran (and passed): kept, so the next look judges without running them again.
      const record = store.record(loaded, "verify.evidence", { sha, job, evidence: compactEvidence(commands.evidence) as unknown as Array<Record<string, unknown>> }, key);
      const ran = commands.evidence.map((e) => `\`${e.name}\` ${e.state === "success" ? "passed" : "failed"}`).join(", ");
      await port.createComment(pr, fitBody(`### Verify: waiting ${registering ? "for CI" : "on checks"}\n\nAt \`${sha.slice(0, 7)}\`: ${ran || "no commands"}. ${what}`, [store.block(record)]));
      return record;
    }
    if (!forCi) return undefined;
    const last = latest(loaded, ["verify.waiting"], sha, { sinceAsked: true })?.data;
    const requiredPart = missing.length > 0 ? { missing, requiredBy } : {};
    const answered = latest(loaded, ["verify.waiting", "verify.evidence"], sha, { sinceAsked: true }) !== undefined;
    if (!answered && !(graceOver && missing.length > 0)) {
      const record = store.record(loaded, "verify.waiting", { sha, since, graceMinutes: config.verify.ciGraceMinutes, ...requiredPart }, key);
      await port.createComment(pr, fitBody(`### Verify: waiting ${registering ? "for CI" : "on required checks"}\n\n${what}`, [store.block(record)]));
      return record;
    }
    if (graceOver && missing.length > 0 && !last?.overdue) {
      // A required check that never reports keeps the artifact waiting: said once, by name, with what to check.
      const record = store.record(loaded, "verify.waiting", { sha, since, graceMinutes: config.verify.ciGraceMinutes, ...requiredPart, overdue: true }, key);
      const them = missing.length === 1 ? "it" : "them";
      await port.createComment(
        pr,
        fitBody(
          `### Verify: a required check never reported\n\n${named(missing)} (${requiredBy}) did not report on \`${sha.slice(0, 7)}\` within ${config.verify.ciGraceMinutes} min, so there is no verdict and the artifact waits for ${them}. Check that a workflow runs ${them} on pull requests (its \`on:\` and \`paths:\`), and that the name matches exactly (a matrix job is named \`test (ubuntu-latest)\`, not \`test\`); or change what is required. The verifier judges as soon as ${them} report${missing.length === 1 ? "s" : ""}.`,
          [store.block(record)],
        ),
      );
      line.log.warn({ artifact: loaded.id, sha, missing }, "verify: a required check never reported");
      return record;
    }
    return undefined;
  }

  if (judgement.verdict === "no-evidence") {
    const what = `No check or status reported on \`${sha.slice(0, 7)}\` within ${config.verify.ciGraceMinutes} min, and no \`verify.commands\` are set: nothing verified this commit, so there is no verdict.`;
    const fix = "To have one: add CI that runs on pull requests, or set `verify.commands` (run by the factory at the PR head) or `verify.requiredChecks` in `.github/factory.yml`. To go on without one, a maintainer can answer `/factory verify --accept-no-evidence`.";
    await setCheck({ status: "completed", conclusion: "neutral", title: "No evidence", summary: `${what}\n\n${fix}` });
    if (latest(loaded, ["verify.no_evidence"], sha, { sinceAsked: true })) return undefined;
    const record = store.record(loaded, "verify.no_evidence", { sha, graceMinutes: config.verify.ciGraceMinutes }, key);
    await port.createComment(pr, fitBody(`### Verifier: no evidence\n\n${what}\n\n${fix}`, [store.block(record)]));
    line.log.warn({ artifact: loaded.id, sha }, "verify: no evidence");
    return record;
  }

  const verdict = judgement.verdict;
  const summary = failureSummary(evidence);
  const failures = evidence.filter((e) => e.state === "failure").length;
  const criteria = criteriaEvidence(loaded.artifact.criteria, await port.pullFiles(pr), evidence);
  const output: VerifyOutput = {
    verdict,
    sha,
    evidence: evidence.map(({ kind, name, state, url }) => ({ kind, name, state, ...(url ? { url } : {}) })),
    summary,
    failures,
    ...(accepted && evidence.length === 0 ? { acceptedBy: accepted.by } : {}),
    criteria: criteria.map((c) => ({ ...c, criterion: c.criterion.slice(0, 500), evidence: c.evidence.slice(0, 500) })),
  };
  const checked = contract ? checkOutput(contract, output) : { ok: true as const };
  if (!checked.ok) {
    const reason = "The verifier's result does not match `cells/verifier/output.schema.json`:";
    const failed = store.record(loaded, "stage.failed", { stage: "verify", reason, ...(loaded.artifact.running?.stage === "verify" ? { job: loaded.artifact.running.job } : {}) }, key);
    await port.createComment(pr, fitBody(stageFailedView("verify", reason, checked.problems), [store.block(failed)]));
    return failed;
  }
  const title = verdict === "pass" ? (evidence.length ? `Passed: ${evidence.length} check${evidence.length === 1 ? "" : "s"}` : `Accepted without evidence by @${accepted?.by ?? "?"}`) : `Failed: ${failures} of ${evidence.length}`;
  const body = verifierResultView(output, config.maxBuildAttempts, (loaded.artifact.attempts.build ?? 0));
  // Each failure at a line of a file of the repository shows on the PR's diff.
  const annotations = evidence
    .flatMap((e) => (e.state === "failure" ? (e.failures ?? []) : []))
    .filter((f) => f.file !== undefined && f.line !== undefined && !f.file.startsWith("/"))
    .map((f) => ({ path: f.file as string, line: f.line as number, message: [f.message, ...f.lines].join("\n"), ...(f.test ? { title: f.test } : {}) }));
  const final = { status: "completed" as const, conclusion: verdict === "pass" ? ("success" as const) : ("failure" as const), title, summary: body, ...(summary ? { text: summary } : {}), ...(annotations.length ? { annotations } : {}) };
  await setCheck(final);
  // Before the record: once the record is there, a try after a failure would not come back for this.
  if (verdict === "pass" && pull.draft) await port.markReadyForReview(pull.nodeId);
  if (verdict === "pass" && loaded.artifact.wip && pull.title) await port.unmarkWip(pr, pull.title);
  const record = store.record(loaded, "stage.completed", { stage: "verify", summary: `${verdict} at ${sha.slice(0, 7)}`, output: output as unknown as Record<string, unknown>, ...(loaded.artifact.running?.stage === "verify" ? { job: loaded.artifact.running.job } : {}) }, key);
  await port.createComment(pr, fitBody(body, [store.block(record)]));
  line.log.info({ artifact: loaded.id, sha, verdict, failures }, "verify: verdict posted");
  return record;
}
