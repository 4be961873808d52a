import { clipLine } from "../../cells/process.js";

/**
 * The verifier's judgement, as pure functions: evidence for one commit in, a
 * verdict (pass, fail or pending) and the shortest failure summary out.
 */

/** The name of the factory's own gate: branch protection can require it. */
export const VERIFY_CHECK = "factory/verify";

export type Verdict = "pass" | "fail" | "pending";

/** One piece of evidence: a check run, a commit status, or a verify command the runner ran. */
export interface Evidence {
  kind: "check" | "status" | "command";
  name: string;
  /** pending: queued or running. */
  state: "pending" | "success" | "failure" | "neutral";
  url?: string | undefined;
  /** For a failure: the lines that say what broke, already shortened. */
  failures?: FailureNote[];
}
export interface FailureNote {
  test?: string | undefined;
  message: string;
  file?: string | undefined;
  line?: number | undefined;
  lines: string[];
}

/** What the verifier decides for one commit: a verdict, or that it waits (and for what), or that nothing reported. */
export type Judgement =
  | { verdict: "pass" | "fail" }
  /** `waitingOn`: the checks it waits for, of which `missing` are required ones that never reported; `registering`: no CI has shown up yet and the grace period runs. */
  | { verdict: "pending"; waitingOn: string[]; missing: string[]; registering: boolean }
  /** Nothing reported within the grace period, and no command ran: not a pass. */
  | { verdict: "no-evidence" };

/** A check name against a name or a glob (`*` any run of characters, `?` one): check names are not paths. */
export function nameMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(name);
}

/**
 * Judges one commit on the evidence it has and the evidence it must have, decided
 * before judging:
 * - `required` (names or globs: the configured ones, else the base branch's
 *   required status checks): each must have reported, and every check that runs
 *   must finish; a required check that never reports keeps it waiting, by name.
 * - With none required, whatever CI started on the commit. While no check or status
 *   has shown up and `graceOver` is false, it waits for CI to register; then the
 *   verify commands alone decide.
 * - Nothing at all after the grace period: no evidence, which is not a pass (unless
 *   a person accepted exactly that).
 * A failure anywhere is a fail at once: the builder can start on it.
 */
export function judge(evidence: readonly Evidence[], expected: { required: readonly string[]; graceOver: boolean; accepted: boolean }): Judgement {
  if (evidence.some((e) => e.state === "failure")) return { verdict: "fail" };
  const missing = expected.required.filter((pattern) => !evidence.some((e) => e.kind !== "command" && nameMatches(pattern, e.name)));
  const running = evidence.filter((e) => e.state === "pending").map((e) => e.name);
  if (missing.length || running.length) return { verdict: "pending", waitingOn: [...missing, ...running], missing, registering: false };
  if (expected.required.length > 0 || evidence.some((e) => e.kind !== "command")) return { verdict: "pass" };
  if (expected.accepted) return { verdict: "pass" };
  if (!expected.graceOver) return { verdict: "pending", waitingOn: [], missing: [], registering: true };
  return evidence.length > 0 ? { verdict: "pass" } : { verdict: "no-evidence" };
}

/** GitHub's check-run conclusions, in three words. */
export function checkState(status: string, conclusion: string | null): Evidence["state"] {
  if (status !== "completed") return "pending";
  switch (conclusion) {
    case "success":
      return "success";
    case "neutral":
    case "skipped":
      return "neutral";
    default:
      // failure, cancelled, timed_out, action_required, stale, startup_failure
      return "failure";
  }
}

export function statusState(state: string): Evidence["state"] {
  if (state === "success") return "success";
  if (state === "pending") return "pending";
  return "failure";
}

/** At most this many lines per failure, as the issue of the verifier asks. */
export const LINES_PER_FAILURE = 15;
/** The summary rides in the verdict's record and the check run: it stays well under GitHub's 65,536-character bodies. */
export const SUMMARY_LIMIT = 16_000;

/**
 * The failure summary a person (or the builder) reads first: per failed piece of
 * evidence, its failures (test, message, file:line and a few lines), shortest first.
 */
export function failureSummary(evidence: readonly Evidence[], maxFailures = 10): string {
  const parts: string[] = [];
  let shown = 0;
  for (const e of evidence.filter((x) => x.state === "failure")) {
    parts.push(`${e.kind === "command" ? "Command" : e.kind === "check" ? "Check" : "Status"} \`${e.name}\` failed${e.url ? ` (${e.url})` : ""}.`);
    for (const f of e.failures ?? []) {
      if (shown >= maxFailures) break;
      shown++;
      const where = f.file ? ` at ${f.file}${f.line ? `:${f.line}` : ""}` : "";
      parts.push(clipLine(`- ${f.test ? `${f.test}: ` : ""}${f.message}${where}`, 500));
      const excerpt = f.lines.slice(0, LINES_PER_FAILURE);
      if (excerpt.length) parts.push(...excerpt.map((l) => `    ${clipLine(l, 300)}`));
    }
  }
  const more = evidence.filter((x) => x.state === "failure").reduce((n, e) => n + (e.failures?.length ?? 0), 0) - shown;
  if (more > 0) parts.push(`… and ${more} more failure${more === 1 ? "" : "s"}.`);
  const text = parts.join("\n");
  return text.length <= SUMMARY_LIMIT ? text : `${text.slice(0, SUMMARY_LIMIT)}\n… (the summary was cut at ${SUMMARY_LIMIT} characters)`;
}
