import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutput, loadContracts } from "../../src/cells/contracts.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const contract = loadContracts().get("builder");
/** Where harness scripts leave evidence for the test (passed through the env allow-list). */
const evidence = mkdtempSync(join(tmpdir(), "factory-build-e2e-"));
// The harness runs in the sandbox (as another user when the tests run as root): the operator shares this directory with it.
chmodSync(evidence, 0o777);
afterAll(() => rmSync(evidence, { recursive: true, force: true }));

/** A repository whose build harness is `node agent.mjs {prompt_file}`, with the agent's source given. */
function repoWith(agent: string, build: Record<string, unknown> = {}, more: Record<string, unknown> = {}): Record<string, string> {
  const config = {
    cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}", "{output_file}"], env: ["EVIDENCE_DIR"], ...build } },
    ...more,
  };
  return { ...SAMPLE_FILES, "agent.mjs": agent, ".github/factory.yml": `${JSON.stringify(config)}\n` };
}

const harnessEnv = { FACTORY_HARNESS_ENV: "EVIDENCE_DIR", EVIDENCE_DIR: evidence, FACTORY_SANDBOX_WRITABLE: evidence };

const FIXING_AGENT = `
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
const prompt = readFileSync(process.argv[2], "utf8");
writeFileSync(process.env.EVIDENCE_DIR + "/prompt.md", prompt);
writeFileSync(process.env.EVIDENCE_DIR + "/env.json", JSON.stringify(process.env));
writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
execFileSync("git", ["commit", "-qam", "Return the dark theme when the setting asks for it"]);
writeFileSync("CHANGELOG.md", "- dark theme\\n");
writeFileSync(process.argv[3], JSON.stringify({ costUsd: 0.25 }));
console.log("fixed src/theme.js");
`;

function bodies(sb: Sandbox, pr: number, prefix: string) {
  return sb.double.commentsOn(pr).filter((c) => c.user.type === "Bot" && c.body.startsWith(prefix));
}

function recordOf(body: string | undefined) {
  const block = decodeBlocks(body)[0];
  return block?.ok ? (block.value as { kind: string; data: Record<string, unknown> }) : undefined;
}

async function labelAndWait(sb: Sandbox): Promise<{ issue: number; pr: number }> {
  const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
  sb.label(issue, "factory:intake");
  await sb.idle();
  return { issue, pr: sb.double.pulls()[0]?.number ?? 0 };
}

describe("the builder on the local runner, with a real harness process and real git", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(FIXING_AGENT), harnessEnv });

  it("label → scout memo → build commits on the branch → the summary on the PR → verify", async () => {
    const { issue, pr } = await labelAndWait(sb);
    expect(bodies(sb, pr, "### Scout memo")).toHaveLength(1);
    expect(bodies(sb, pr, "### Build started")[0]?.body).toContain("**command** harness is running on the **local** runner");

    const commits = sb.double.commitsAhead(sb.double.pulls()[0]?.pull?.head ?? "");
    const subjects = commits.map((c) => c.message.split("\n")[0]);
    expect(subjects).toContain("Return the dark theme when the setting asks for it");
    // What the harness left uncommitted, the factory committed.
    expect(subjects).toContain("Dark theme is never used");
    const head = commits[commits.length - 1]?.sha ?? "";
    expect(sb.double.git.readFile(head, "src/theme.js")).toContain("'dark' : 'light'");
    expect(sb.double.git.readFile(head, "CHANGELOG.md")).toBe("- dark theme\n");

    const summary = bodies(sb, pr, "### Build summary")[0]?.body ?? "";
    const record = recordOf(summary);
    expect(record?.kind).toBe("stage.completed");
    expect(contract && checkOutput(contract, record?.data.output)).toEqual({ ok: true });
    expect(record?.data.output).toMatchObject({ harness: "command", runner: "local", headSha: head, files: ["CHANGELOG.md", "src/theme.js"], insertions: 2, deletions: 1, netLines: 1, costUsd: 0.25, exitCode: 0 });
    expect(summary).toContain("| Cost | $0.25 |");
    expect(summary).toContain("Next: **verify**");

    const artifact = foldFromDouble(sb.double, issue, sandboxKey(sb));
    // The repository's CI (one check) ran on the pushed commit: the verifier passed it on that.
    expect(artifact).toMatchObject({ stage: "analyst", status: "active", verification: "pass", attempts: { scout: 1, build: 1, verify: 1, package: 1 }, costUsd: { build: 0.25 }, running: undefined });
    expect(bodies(sb, pr, "### Verifier: pass")[0]?.body).toContain("| check `ci/test` | success ([details]");
    const tracking = sb.double.commentsOn(issue).find((c) => c.body.includes("software-factory:tracking"))?.body ?? "";
    expect(tracking).toMatch(/- \[x\] build/);
  });

  it("a worker that pushed and then could not hand its result on: the job's next attempt reports the pushed commits and does not run the harness again", async () => {
    const push = sb.inbox.push.bind(sb.inbox);
    let refused = 0;
    sb.inbox.push = async (event, options) => {
      if (event.kind === "job.done" && event.id.startsWith("build-") && refused++ === 0) throw new Error("Connection is closed.");
      return push(event, options);
    };
    const { issue, pr } = await labelAndWait(sb);
    sb.inbox.push = push;
    expect(refused).toBe(2);
    // The harness wrote its prompt once: it ran once.
    const commits = sb.double.commitsAhead(sb.double.pulls()[0]?.pull?.head ?? "");
    expect(commits.map((c) => c.message.split("\n")[0]).filter((m) => m === "Return the dark theme when the setting asks for it")).toHaveLength(1);
    expect(bodies(sb, pr, "### Build summary")).toHaveLength(1);
    expect(bodies(sb, pr, "### build failed")).toEqual([]);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active", attempts: { build: 1 } });
    // The first attempt's failure was logged as the worker's.
    expect(sb.errors.map((e) => e.replace(/:.*$/, ""))).toEqual(["cell job failed"]);
    sb.errors.length = 0;
  });

  it("renders the prompt from the goal, the criteria and the scout memo, and gives the harness no secret", async () => {
    await labelAndWait(sb);
    const prompt = readFileSync(join(evidence, "prompt.md"), "utf8");
    expect(prompt).toContain("Users can switch to a dark theme.");
    expect(prompt).toContain("- `theme({ dark: true })` returns `dark`");
    expect(prompt).toMatch(/`src\/theme\.js`: /);
    expect(prompt).toContain("Related tests:");
    const env = JSON.parse(readFileSync(join(evidence, "env.json"), "utf8")) as Record<string, string>;
    expect(env.EVIDENCE_DIR).toBe(evidence);
    const tokens = [...sb.double.tokens.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    const dump = JSON.stringify(env);
    for (const token of tokens) expect(dump).not.toContain(token);
    expect(dump).not.toContain(sb.webhookSecret);
    expect(Object.keys(env).filter((k) => /PRIVATE_KEY|WEBHOOK_SECRET|GIT_CONFIG_VALUE|GHE_HOST/.test(k))).toEqual([]);
    expect(env.GIT_AUTHOR_NAME).toBe(sb.double.bot.login);
  });
});

describe("a harness that adds a workflow file", () => {
  let sb: Sandbox;
  const agent = `
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
appendFileSync(process.env.EVIDENCE_DIR + "/workflow-runs", "ran\\n");
mkdirSync(".github/workflows", { recursive: true });
writeFileSync(".github/workflows/lint.yml", "on: pull_request\\njobs: {}\\n");
execFileSync("git", ["add", "-A"]);
execFileSync("git", ["commit", "-qm", "Add a lint workflow"]);
`;
  useSandbox((next) => void (sb = next), { files: repoWith(agent), harnessEnv });

  it("GitHub refuses the app's push without the workflows permission: the build fails once, saying so, and the harness is not run again", async () => {
    const { issue, pr } = await labelAndWait(sb);
    const failed = bodies(sb, pr, "### build failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toContain("GitHub refused the push: the change creates or edits `.github/workflows/lint.yml`, and an app may change workflow files only with the `workflows` permission");
    expect(readFileSync(join(evidence, "workflow-runs"), "utf8")).toBe("ran\n");
    expect(sb.double.commitsAhead(sb.double.pulls()[0]?.pull?.head ?? "").map((c) => c.message.split("\n")[0])).not.toContain("Add a lint workflow");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
    expect(sb.errors).toEqual([]);
  });
});

describe("a harness that crashes", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(`console.log("thinking");\nconsole.error("TypeError: cannot read 'x' of undefined");\nprocess.exit(3);\n`), harnessEnv });

  it("fails the build with its last output lines, pushes nothing, and blocks the artifact", async () => {
    const { issue, pr } = await labelAndWait(sb);
    const failed = bodies(sb, pr, "### build failed")[0]?.body ?? "";
    expect(failed).toContain("The harness exited with code 3; nothing was pushed.");
    expect(failed).toContain("TypeError: cannot read 'x' of undefined");
    expect(recordOf(failed)).toMatchObject({ kind: "stage.failed", data: { stage: "build" } });
    expect(sb.double.commitsAhead(sb.double.pulls()[0]?.pull?.head ?? "")).toHaveLength(1); // the intake's empty commit only
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked", running: undefined });
    expect(sb.double.issues.get(issue)?.labels).toContain("factory:blocked");
  });
});

describe("a harness that makes no change", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(`console.log("nothing to do here");\n`), harnessEnv });

  it("fails with 'the harness produced no change' and its last lines", async () => {
    const { issue, pr } = await labelAndWait(sb);
    const failed = bodies(sb, pr, "### build failed")[0]?.body ?? "";
    expect(failed).toContain("The harness produced no change");
    expect(failed).toContain("nothing to do here");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
  });
});

const HANGING_AGENT = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
// A child that beats (its pid means nothing outside the sandbox's PID namespace).
spawn(process.execPath, ["-e", "const { writeFileSync } = require('node:fs'); setInterval(() => writeFileSync(process.env.EVIDENCE_DIR + '/beat', String(Date.now())), 50)"], { stdio: "ignore" });
console.log("working on it");
setInterval(() => {}, 1000);
`;

/** Whether the harness's child still runs: its beat moves within 300 ms. */
async function beating(): Promise<boolean> {
  const read = () => (existsSync(join(evidence, "beat")) ? readFileSync(join(evidence, "beat"), "utf8") : "");
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return read() !== before;
}

describe("a harness that runs past its timeout", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(HANGING_AGENT, { timeoutMinutes: 0.02 }), harnessEnv });

  it("is stopped with its whole process group, and the build fails saying so", async () => {
    rmSync(join(evidence, "beat"), { force: true });
    const { issue, pr } = await labelAndWait(sb);
    const failed = bodies(sb, pr, "### build failed")[0]?.body ?? "";
    expect(failed).toContain("timeout and was stopped with its whole process group");
    expect(failed).toContain("working on it");
    expect(existsSync(join(evidence, "beat"))).toBe(true);
    await expect.poll(beating, { timeout: 5000 }).toBe(false);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
  });
});

describe("/factory stop during a build", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(HANGING_AGENT), harnessEnv });

  it("cancels the running job: its process group is killed and the artifact stays stopped", async () => {
    rmSync(join(evidence, "beat"), { force: true });
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await expect.poll(() => existsSync(join(evidence, "beat")), { timeout: 20_000 }).toBe(true);
    expect(await beating()).toBe(true);
    const pr = sb.double.pulls()[0]?.number ?? 0;
    sb.comment(pr, "maintainer", "/factory stop");
    await sb.idle();
    await expect.poll(beating, { timeout: 5000 }).toBe(false);
    expect(bodies(sb, pr, "### build failed")[0]?.body).toContain("The build was cancelled (`/factory stop`); nothing was pushed.");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "stopped", running: undefined });
    expect(sb.double.commitsAhead(sb.double.pulls()[0]?.pull?.head ?? "")).toHaveLength(1);
  });
});

describe("budgets", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: repoWith(FIXING_AGENT, {}, { budgets: { artifact: { costUsd: 0.2 } } }), harnessEnv });

  it("a spent cost budget blocks the next build with a comment instead of running it", async () => {
    const { issue, pr } = await labelAndWait(sb);
    expect(bodies(sb, pr, "### Build summary")).toHaveLength(1);
    sb.comment(pr, "maintainer", "/factory build");
    await sb.idle();
    const blocked = bodies(sb, pr, "### Blocked")[0]?.body ?? "";
    expect(blocked).toContain("`budgets.artifact.costUsd` is spent");
    expect(blocked).toContain("$0.25 used of $0.20");
    expect(recordOf(blocked)).toMatchObject({ kind: "budget.exceeded", data: { stage: "build", limit: "budgets.artifact.costUsd" } });
    expect(bodies(sb, pr, "### Build started")).toHaveLength(1);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
  });
});

describe("a repository that chose no harness", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next));

  it("waits at build, the tracking comment saying how to choose one, and /factory build answers the same", async () => {
    const { issue, pr } = await labelAndWait(sb);
    const tracking = sb.double.commentsOn(issue).find((c) => c.body.includes("software-factory:tracking"))?.body ?? "";
    expect(tracking).toContain("choose a coding agent (`cells.build.harness` in `.github/factory.yml`), then `/factory build`");
    expect(bodies(sb, pr, "### Build started")).toHaveLength(0);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "active" });
    sb.comment(pr, "maintainer", "/factory build");
    await sb.idle();
    expect(sb.double.commentsOn(pr).at(-1)?.body).toContain("No coding agent is configured: set `cells.build.harness`");
    expect(bodies(sb, pr, "### Build started")).toHaveLength(0);
  });
});

describe("a worker that fails twice", () => {
  let sb: Sandbox;
  // The runner cannot make a workspace: the worker itself fails, not the harness.
  useSandbox((next) => void (sb = next), { files: repoWith(FIXING_AGENT), harnessEnv, workRoot: "/nonexistent/factory-workspaces" });

  it("is retried once, then the artifact is blocked with the reason, once", async () => {
    const { issue, pr } = await labelAndWait(sb);
    const failed = bodies(sb, pr, "### build failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toMatch(/The worker running build job `build-\d+-[0-9a-f]{16}` failed twice \(ENOENT/);
    expect(recordOf(failed[0]?.body)).toMatchObject({ kind: "stage.failed", data: { stage: "build" } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked", running: undefined });
    // Both failures and the block were logged as errors, and nothing else went wrong.
    expect(sb.errors.map((e) => e.replace(/:.*$/, ""))).toEqual(["cell job failed", "cell job failed", "cell job died twice; the artifact will be blocked"]);
    sb.errors.length = 0;
  });
});
