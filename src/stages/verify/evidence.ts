import type { CheckRun, RepoPort } from "../../github/repo-port.js";
import { summarizeFailures } from "./failures/index.js";
import { checkState, statusState, VERIFY_CHECK, type Evidence, type FailureNote } from "./verdict.js";

/** Failed checks whose details (annotations, job logs) are fetched: the rest are named only. */
const DETAILED_FAILURES = 5;

/** The shortest failure summary of a tool's output: parsed when a parser knows it, else its last lines; paths under `roots` become the repository's. */
export function notesFrom(output: string, options: { maxFailures?: number; roots?: readonly string[] } = {}): FailureNote[] {
  const summary = summarizeFailures(output, { maxFailures: options.maxFailures ?? 5, ...(options.roots?.length ? { root: options.roots } : {}) });
  if (summary.failures.length > 0) {
    return summary.failures.map((f) => ({ test: f.test, message: f.message, file: f.file, line: f.line, lines: f.lines }));
  }
  const tail = summary.rawTail ?? [];
  const what = summary.tool === "unknown" ? "no parser recognised this output" : `${summary.tool} failed but named no failure`;
  return tail.length ? [{ message: `${what}; its last lines:`, lines: tail.slice(-15) }] : [];
}

/**
 * Every check run (`runs`, listed once by the caller) and commit status on `sha`,
 * the factory's own gate and the ignored names excluded, with the shortest failure
 * summary of each failure from its annotations, its output, or (for GitHub Actions)
 * its job log.
 */
export async function collectEvidence(port: RepoPort, sha: string, runs: readonly CheckRun[], options: { ignore: readonly string[]; ownApp?: string }): Promise<Evidence[]> {
  const ignored = new Set(options.ignore);
  // The app's own check runs are not evidence of anything; known by their app where it is known, else by the gate's name.
  // Another app's run that happens to be named like the gate (a CI job `factory/verify`) is evidence like any other.
  const own = (run: CheckRun) => (options.ownApp !== undefined && run.appSlug !== undefined ? run.appSlug === options.ownApp : run.name === VERIFY_CHECK);
  const evidence: Evidence[] = [];
  let detailed = 0;
  for (const run of runs) {
    if (ignored.has(run.name) || own(run)) continue;
    const state = checkState(run.status, run.conclusion);
    const item: Evidence = { kind: "check", name: run.name, state, url: run.url };
    if (state === "failure" && detailed++ < DETAILED_FAILURES) {
      const notes: FailureNote[] = [];
      if (run.output.annotations > 0) {
        for (const a of (await port.checkRunAnnotations(run.id)).filter((x) => x.level === "failure").slice(0, 5)) {
          notes.push({ test: a.title, message: a.message.split("\n")[0] ?? "", file: a.path, line: a.line, lines: a.message.split("\n").slice(1, 15) });
        }
      }
      if (notes.length === 0 && run.appSlug === "github-actions") {
        const log = await port.actionsJobLog(run.id);
        // A GitHub-hosted runner checks the repository out at /home/runner/work/<repo>/<repo>.
        if (log) notes.push(...notesFrom(log, { roots: [`/home/runner/work/${port.ref.repo}/${port.ref.repo}`] }));
      }
      if (notes.length === 0) {
        const text = [run.output.title, run.output.summary, run.output.text].filter(Boolean).join("\n");
        if (text) notes.push(...notesFrom(text));
      }
      item.failures = notes;
    }
    evidence.push(item);
  }
  for (const status of await port.commitStatuses(sha)) {
    if (ignored.has(status.context)) continue;
    const state = statusState(status.state);
    evidence.push({
      kind: "status",
      name: status.context,
      state,
      url: status.url,
      ...(state === "failure" && status.description ? { failures: [{ message: status.description, lines: [] }] } : {}),
    });
  }
  return evidence;
}
