/**
 * GitHub Actions, for the factory's cell workflow: the step of
 * templates/workflows/factory-cell.yml that runs the harness is really run (bash,
 * then its node script), in a clone of the artifact branch made with a token the
 * double issued (Actions' checkout), with the inputs of the dispatch. What the step
 * uploads (the report and the commits' bundle) becomes the run's artifact. Nothing
 * is pushed: the app does that.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import type { DoubleWorkflowRun } from "@software-factory/github-double";

const run$ = promisify(execFile);

const TEMPLATE = readFileSync(new URL("../../templates/workflows/factory-cell.yml", import.meta.url), "utf8");

/** The template's step that runs the harness. */
function harnessStep(): string {
  const doc = parse(TEMPLATE) as { jobs: { cell: { steps: Array<{ name?: string; run?: string }> } } };
  const step = doc.jobs.cell.steps.find((s) => s.run?.includes("node --input-type=module"));
  if (!step?.run) throw new Error("factory-cell.yml has no step that runs the harness");
  return step.run;
}

async function token(sb: Sandbox): Promise<string> {
  const response = await fetch(`${sb.server.apiUrl}/app/installations/1/access_tokens`, { method: "POST", headers: { authorization: "Bearer a.jwt.token" } });
  return ((await response.json()) as { token: string }).token;
}

/**
 * Runs the dispatched cell workflow `run` the way Actions would, and completes the
 * run with what it uploaded. Returns the head commit the harness left (in the
 * bundle; not on the branch).
 */
export async function runCellWorkflow(sb: Sandbox, run: DoubleWorkflowRun, options: { conclusion?: string } = {}): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "factory-actions-"));
  try {
    const work = join(dir, "work");
    const temp = mkdtempSync(join(dir, "runner-temp-"));
    // Asynchronously: the double answering the clone runs in this process.
    await run$("git", ["clone", "--quiet", "--branch", run.inputs.branch ?? "", sb.server.cloneUrl(await token(sb)), work], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: "1",
      RUNNER_TEMP: temp,
      FACTORY_JOB: run.inputs.job ?? "",
      FACTORY_BRANCH: run.inputs.branch ?? "",
      FACTORY_ARGV: run.inputs.argv ?? "[]",
      FACTORY_PROMPT: run.inputs.prompt ?? "",
      FACTORY_TIMEOUT_MINUTES: run.inputs.timeout_minutes ?? "30",
      FACTORY_HARNESS: run.inputs.harness ?? "",
    };
    await run$("bash", ["-e", "-c", harnessStep()], { cwd: work, env });
    const report = join(temp, "factory", "report");
    const files: Record<string, string | Uint8Array> = { "output.json": readFileSync(join(report, "output.json"), "utf8") };
    if (existsSync(join(report, "commits.bundle"))) files["commits.bundle"] = new Uint8Array(readFileSync(join(report, "commits.bundle")));
    sb.completeWorkflowRun(run.id, { conclusion: options.conclusion ?? "success", artifacts: { "factory-cell-output": files } });
    return (JSON.parse(files["output.json"] as string) as { headSha: string }).headSha;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a harness other than a command (claude, codex: not installed here) leaves
 * the run to upload: one commit of `files` on `branch`, as the bundle the template
 * makes. Returns the bundle and its head.
 */
export async function bundleOf(sb: Sandbox, branch: string, files: Record<string, string>, subject: string): Promise<{ bundle: Uint8Array; head: string }> {
  const dir = mkdtempSync(join(tmpdir(), "factory-bundle-"));
  try {
    const work = join(dir, "work");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };
    await run$("git", ["clone", "--quiet", "--branch", branch, sb.server.cloneUrl(await token(sb)), work], { env });
    const git = (...args: string[]) => run$("git", ["-c", "user.name=github-actions[bot]", "-c", "user.email=actions@example.com", ...args], { cwd: work, env });
    const base = (await git("rev-parse", "HEAD")).stdout.trim();
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    await git("add", "--all");
    await git("commit", "--quiet", "-m", subject);
    await git("bundle", "create", join(dir, "commits.bundle"), `${base}..HEAD`);
    return { bundle: new Uint8Array(readFileSync(join(dir, "commits.bundle"))), head: (await git("rev-parse", "HEAD")).stdout.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
