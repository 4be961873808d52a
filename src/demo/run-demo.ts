import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { foldFromDouble } from "../sandbox/fold-double.js";
import { Sandbox } from "../sandbox/sandbox.js";
import { renderTranscript } from "../sandbox/transcript.js";
import { stateKey } from "../state/sign.js";
import { SAMPLE_ISSUE, SAMPLE_REPO } from "./sample-repo.js";

/** The stage the line reaches with the stages built so far; the demo fails unless it gets there. */
export const EXPECTED_STAGE = "analyst";

export interface DemoResult {
  ok: boolean;
  stage: string;
  wallMs: number;
  transcript: string;
}

const run = promisify(execFile);

/** Runs the sample repository's tests in a checkout of `files`: the failure the line is asked to fix. */
async function sampleTests(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "factory-demo-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const result = await run(process.execPath, ["--test"], { cwd: dir }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string }) => error.stdout ?? "",
    );
    const pass = /^# pass (\d+)/m.exec(result)?.[1] ?? "?";
    const fail = /^# fail (\d+)/m.exec(result)?.[1] ?? "?";
    const failing = [...result.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]);
    return `${pass} passed, ${fail} failed${failing.length ? ` (failing: ${failing.join("; ")})` : ""}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The files at a branch's head in the sandbox's repository. */
function branchFiles(sb: Sandbox, branch: string | undefined): Record<string, string> {
  const sha = branch ? sb.double.git.refSha(`heads/${branch}`) : undefined;
  return sha ? sb.double.git.readAll(sha) : {};
}

/**
 * The whole line, offline: an issue with success criteria is opened and labelled
 * in a sandboxed GitHub, the real app works it as far as the built stages go, and
 * the run is printed as a timeline and written as an HTML transcript.
 */
export async function runDemo(options: { out: string; print: (line: string) => void }): Promise<DemoResult> {
  const started = Date.now();
  const { print } = options;
  const sb = await Sandbox.start({ files: SAMPLE_REPO });
  try {
    sb.setPermission("maintainer", "maintain");
    print("Software Factory demo: an offline GitHub (the sandbox) with the real app attached over HTTP.");
    print(`  GitHub double: ${sb.server.apiUrl} (GHE layout), repository ${sb.double.owner}/${sb.double.repo} in a real bare git repo`);
    print(`  Sample repository tests, before: ${await sampleTests(SAMPLE_REPO)}`);
    print("");

    const issue = sb.openIssue("alice", SAMPLE_ISSUE.title, SAMPLE_ISSUE.body).number;
    sb.label(issue, "factory:intake", "maintainer");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number;
    if (pr !== undefined) sb.comment(pr, "maintainer", "/factory status");
    await sb.idle();

    const artifact = foldFromDouble(sb.double, issue, stateKey({ WEBHOOK_SECRET: sb.webhookSecret }));
    const wallMs = Date.now() - started;
    const counts = [...sb.double.counts.entries()].sort(([a], [b]) => a.localeCompare(b));
    const writes = counts.filter(([route]) => !route.startsWith("GET ")).reduce((sum, [, n]) => sum + n, 0);
    const total = counts.reduce((sum, [, n]) => sum + n, 0);
    const problems = [
      ...sb.server.violations.map((v) => `contract violation: ${v}`),
      ...sb.double.unrouted.map((r) => `unrouted request: ${r}`),
      ...sb.errors.map((e) => `app error: ${e}`),
    ];

    const summary: string[] = ["Timeline"];
    for (const entry of sb.timeline) summary.push(`  +${String(entry.atMs).padStart(5)} ms  ${entry.kind.padEnd(7)} ${entry.text}`);
    summary.push("", `Artifact ${artifact.id}: stage ${artifact.stage}, status ${artifact.status}, PR #${artifact.pr ?? "—"}, branch ${artifact.branch ?? "—"}`);
    summary.push(`  success criteria: ${artifact.criteria.length}; next: ${artifact.nextHandoff}`);
    const commits = sb.double.commitsAhead(artifact.branch ?? "").map((c) => c.message.split("\n")[0] ?? "");
    summary.push(`  Branch ${artifact.branch ?? "—"}: ${commits.length} commits (${commits.join("; ")})`);
    summary.push(`  Sample repository tests on the branch, after the build: ${await sampleTests(branchFiles(sb, artifact.branch))}`);
    summary.push("  The builder ran the demo's scripted harness (.factory/scripted-harness.mjs, no model): a stand-in for a coding agent, chosen in .github/factory.yml.");
    summary.push(`  Verification: ${artifact.verification} at ${artifact.verifiedSha?.slice(0, 7) ?? "—"} (factory/verify check: ${sb.double.checkRunsFor(artifact.verifiedSha ?? "").find((r) => r.name === "factory/verify")?.conclusion ?? "none"})`);
    summary.push("  Then the packager's note; the line waits for a person to review and merge (the analyst writes the post-run note then).");
    summary.push("", `GitHub requests: ${total} (${writes} writes)`);
    for (const [route, n] of counts) summary.push(`  ${String(n).padStart(3)}  ${route}`);
    summary.push("", `Wall time: ${(wallMs / 1000).toFixed(2)} s`);
    const ok = artifact.stage === EXPECTED_STAGE && problems.length === 0;
    summary.push(ok ? `Reached the expected stage (${EXPECTED_STAGE}).` : `Did not reach ${EXPECTED_STAGE}: stage is ${artifact.stage}.`);
    for (const problem of problems) summary.push(`  problem: ${problem}`);

    for (const line of summary) print(line);
    const transcript = resolve(options.out);
    writeFileSync(transcript, renderTranscript(sb.double, { title: `Software Factory demo: ${SAMPLE_ISSUE.title}`, summary }));
    print(`Transcript: ${transcript}`);
    return { ok, stage: artifact.stage, wallMs, transcript };
  } finally {
    await sb.close();
  }
}
