import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox } from "../../src/sandbox/sandbox.js";
import { closeChecked, SAMPLE_FILES, sandboxProblems, VALID_BODY } from "./use-sandbox.js";

const run = promisify(execFile);
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(): Promise<Sandbox> {
  const sb = await Sandbox.start({ files: SAMPLE_FILES });
  sb.setPermission("maintainer", "maintain");
  return sb;
}

/** An installation token, fetched the way the app gets one. */
async function token(sb: Sandbox): Promise<string> {
  const response = await fetch(`${sb.server.apiUrl}/app/installations/1/access_tokens`, { method: "POST", headers: { authorization: "Bearer a.jwt.token" } });
  return ((await response.json()) as { token: string }).token;
}

describe("the sandbox's contract check", () => {
  it("answers a request that breaks GitHub's contract as GitHub would, and records it so the suite fails", async () => {
    const sb = await start();
    const auth = { authorization: `token ${await token(sb)}`, "content-type": "application/json" };
    const badBody = await fetch(`${sb.server.apiUrl}/repos/octo-org/widgets/issues/1/comments`, { method: "POST", headers: auth, body: JSON.stringify({ body: 42 }) });
    expect(badBody.status).toBe(422);
    const unknown = await fetch(`${sb.server.apiUrl}/repos/octo-org/widgets/frobnicate`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(sb.server.violations).toHaveLength(2);
    expect(sandboxProblems(sb)[0]).toMatch(/^contract: POST \/repos\/octo-org\/widgets\/issues\/1\/comments/);
    await expect(closeChecked(sb)).rejects.toThrow(/the sandbox saw problems/);
  });

  it("asks for credentials like GitHub does", async () => {
    const sb = await start();
    cleanup.push(() => closeChecked(sb));
    expect((await fetch(`${sb.server.apiUrl}/repos/octo-org/widgets/issues`)).status).toBe(401);
    expect((await fetch(`${sb.server.apiUrl}/repos/octo-org/widgets/issues`, { headers: { authorization: "token made-up" } })).status).toBe(401);
  });
});

describe("git over smart HTTP", () => {
  it("clones and pushes with an installation token, and a push moves the PR head", async () => {
    const sb = await start();
    cleanup.push(() => closeChecked(sb));
    const issue = sb.openIssue("alice", "Add dark mode", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const branch = "factory/1-add-dark-mode";

    const work = mkdtempSync(join(tmpdir(), "factory-clone-"));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const git = (...args: string[]) => run("git", args, { cwd: work, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    await git("clone", "--quiet", "--branch", branch, sb.server.cloneUrl(await token(sb)), ".");
    expect((await git("log", "--format=%s", "-1")).stdout.trim()).toBe("chore(factory): open #1 Add dark mode");

    writeFileSync(join(work, "src/theme.js"), "export function theme(settings) {\n  return settings.dark ? 'dark' : 'light';\n}\n");
    await git("-c", "user.name=Builder", "-c", "user.email=builder@example.invalid", "commit", "--quiet", "-am", "fix: dark theme");
    await git("push", "--quiet", "origin", branch);
    await sb.idle();

    expect(sb.double.commitsAhead(branch).map((c) => c.message.trim())).toEqual(["chore(factory): open #1 Add dark mode", "fix: dark theme"]);
    const pr = sb.double.pulls()[0];
    expect(pr?.pull?.headSha).toBe(sb.double.refs.get(`heads/${branch}`));
    expect(sb.timeline.some((e) => e.kind === "push" && e.text.includes(branch))).toBe(true);
  });

  it("refuses a clone without a valid token", async () => {
    const sb = await start();
    cleanup.push(() => closeChecked(sb));
    const work = mkdtempSync(join(tmpdir(), "factory-clone-"));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const url = `http://x-access-token:not-a-token@${sb.server.host}/octo-org/widgets.git`;
    await expect(run("git", ["clone", "--quiet", url, work], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } })).rejects.toThrow(/401|Authentication failed/);
  });
});

describe("faults", () => {
  it("the line still opens the artifact when 5xx, 429 and secondary rate limits are injected", async () => {
    const sb = await start();
    cleanup.push(() => closeChecked(sb));
    sb.injectFaults({ rate: 0.5, kinds: ["5xx", "429", "secondary"], retryAfterSeconds: 1, seed: 7 });
    const issue = sb.openIssue("alice", "Add dark mode", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    sb.injectFaults(undefined);
    expect(sb.server.injected.length).toBeGreaterThan(2);
    expect(new Set(sb.server.injected.map((f) => f.split(" ")[0]))).toEqual(new Set(["5xx", "429", "secondary"]));
    expect(sb.double.pulls()).toHaveLength(1);
    expect(sb.double.commentsOn(issue).filter((c) => c.user.type === "Bot")).toHaveLength(1);
  });
});
