/**
 * A hostile harness, in the real sandbox (bubblewrap): it tries to reach what is
 * not its workspace and to exhaust the host, and reports what it got. Every attempt
 * must fail, and nothing secret may show anywhere the line writes.
 */
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const execFileAsync = promisify(execFile);
const SECRET = `s3cret-${process.pid}-${Date.now()}`;
const place = mkdtempSync(join(tmpdir(), "factory-hostile-"));
const evidence = join(place, "evidence");
const app = join(place, "app");
const otherJob = join(place, "factory-job-other", "work");
const home = join(place, "home");
for (const dir of [evidence, app, otherJob, home]) mkdirSync(dir, { recursive: true });
// The harness runs as another user when the tests run as root: it may write its report here, and only here.
chmodSync(evidence, 0o777);
chmodSync(place, 0o711);
writeFileSync(join(app, ".env"), `WEBHOOK_SECRET=${SECRET}\n`);
writeFileSync(join(app, "private-key.pem"), `-----BEGIN RSA PRIVATE KEY-----\n${SECRET}\n`);
writeFileSync(join(otherJob, "notes.txt"), SECRET);
writeFileSync(join(home, ".gitconfig"), `[credential]\n\thelper = store\n[user]\n\tname = ${SECRET}\n`);
writeFileSync(join(home, ".git-credentials"), `https://x-access-token:${SECRET}@github.com\n`);
// The app's own secrets, in the environment of the process the harness is a child of.
const saved = { FACTORY_STATE_SECRET: process.env.FACTORY_STATE_SECRET, WEBHOOK_SECRET: process.env.WEBHOOK_SECRET };
process.env.FACTORY_STATE_SECRET = SECRET;
process.env.WEBHOOK_SECRET = SECRET;
// Something listening on loopback, which a harness without network must not reach.
const listener = createServer((socket) => socket.end("hello"));
await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
const port = (listener.address() as AddressInfo).port;
afterAll(() => {
  listener.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(place, { recursive: true, force: true });
});

const HOSTILE = `
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
const t = JSON.parse(process.env.TARGETS);
const got = {};
const attempt = (name, fn) => { try { const r = fn(); got[name] = { ok: true, value: String(r ?? "").slice(0, 2000) }; } catch (e) { got[name] = { ok: false, error: String(e.code ?? e.message).slice(0, 200) }; } };
attempt("parent environ", () => readFileSync("/proc/" + process.ppid + "/environ", "utf8"));
attempt("pid 1 environ", () => readFileSync("/proc/1/environ", "utf8"));
const all = [];
for (const pid of readdirSync("/proc").filter((p) => /^\\d+$/.test(p))) { try { all.push(readFileSync("/proc/" + pid + "/environ", "utf8")); } catch {} }
got["every environ"] = { ok: false, value: all.join("\\n").slice(0, 20000) };
got["app pid visible"] = { ok: readdirSync("/proc").includes(String(t.appPid)) && readFileSync("/proc/" + t.appPid + "/cmdline", "utf8").includes("vitest") };
attempt("key file", () => readFileSync(t.key, "utf8"));
attempt("app .env", () => readFileSync(t.env, "utf8"));
attempt("app source", () => readFileSync(t.source, "utf8"));
attempt("other workspace", () => readFileSync(t.other, "utf8"));
attempt("host gitconfig", () => readFileSync(t.gitconfig, "utf8"));
attempt("host git credentials", () => readFileSync(t.credentials, "utf8"));
attempt("git credential fill", () => execFileSync("git", ["credential", "fill"], { input: "protocol=https\\nhost=github.com\\n\\n", env: { ...process.env, HOME: t.home, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_GLOBAL: t.gitconfig }, encoding: "utf8" }));
attempt("write the app dir", () => writeFileSync(t.appDir + "/pwned", "x"));
attempt("write host tmp", () => { writeFileSync(t.hostTmp, "x"); return "written (to the box's own /tmp?)"; });
attempt("kill the app", () => process.kill(t.appPid, "SIGKILL"));
got["network"] = await new Promise((resolve) => { const s = connect({ host: "127.0.0.1", port: t.port }); s.setTimeout(2000); s.on("connect", () => { s.destroy(); resolve({ ok: true }); }); s.on("error", (e) => resolve({ ok: false, error: e.code })); s.on("timeout", () => { s.destroy(); resolve({ ok: false, error: "timeout" }); }); });
// A fork bomb, bounded: processes until the box refuses one.
const kids = [];
let refused = "";
for (let i = 0; i < 400 && !refused; i++) { const r = spawnSync("sh", ["-c", "sleep 20 >/dev/null 2>&1 & echo ok"], { encoding: "utf8" }); if (r.error || r.status !== 0) refused = String(r.error?.code ?? r.stderr).slice(0, 100); }
got["fork bomb"] = { ok: !refused, error: refused };
spawnSync("pkill", ["sleep"]);
const hog = spawnSync(process.execPath, ["-e", "const a = []; for (let i = 0; i < 40; i++) a.push(Buffer.alloc(50e6, 1)); console.log('allocated 2 GB')"], { encoding: "utf8" });
got["memory hog"] = { ok: hog.status === 0, error: "exit " + hog.status + " " + hog.signal };
const fill = spawnSync("sh", ["-c", "head -c 200000000 /dev/zero > big.bin"], { encoding: "utf8" });
got["disk filler"] = { ok: fill.status === 0, error: "exit " + fill.status + " " + fill.signal };
spawnSync("rm", ["-f", "big.bin"]);
writeFileSync(t.report, JSON.stringify(got, null, 2));
writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
`;

describe("a hostile harness in the sandbox", () => {
  let sb: Sandbox;
  const logs: string[] = [];
  const report = join(evidence, "report.json");
  const targets = JSON.stringify({
      appPid: process.pid,
      key: join(app, "private-key.pem"),
      env: join(app, ".env"),
      source: join(process.cwd(), "package.json"),
      appDir: app,
      other: join(otherJob, "notes.txt"),
      home,
      gitconfig: join(home, ".gitconfig"),
      credentials: join(home, ".git-credentials"),
      hostTmp: join(place, "written-from-the-box"),
      port,
      report,
    });
  useSandbox(
    (next) => {
      sb = next;
    },
    {
      files: {
        ...SAMPLE_FILES,
        "hostile.mjs": HOSTILE,
        ".github/factory.yml": `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "hostile.mjs"], env: ["TARGETS"], network: "none", timeoutMinutes: 2 } }, verify: { ciGraceMinutes: 0, commands: ["test -f src/theme.js"] } })}\n`,
      },
      harnessEnv: {
        FACTORY_HARNESS_ENV: "TARGETS",
        TARGETS: targets,
        FACTORY_SANDBOX_WRITABLE: evidence,
        FACTORY_SANDBOX_PROCESSES: "64",
        FACTORY_SANDBOX_MEMORY_MB: "512",
        FACTORY_SANDBOX_FILE_MB: "50",
      },
      logTo: (line) => logs.push(line),
    },
  );

  it("every attempt fails, the app stays healthy, and the secret shows nowhere", { timeout: 120_000 }, async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();

    expect(existsSync(report), "the harness ran and reported").toBe(true);
    const got = JSON.parse(readFileSync(report, "utf8")) as Record<string, { ok: boolean; value?: string; error?: string }>;
    expect(Object.keys(got).sort()).toEqual(
      ["app .env", "app pid visible", "app source", "disk filler", "every environ", "fork bomb", "git credential fill", "host git credentials", "host gitconfig", "key file", "kill the app", "memory hog", "network", "other workspace", "parent environ", "pid 1 environ", "write host tmp", "write the app dir"].sort(),
    );
    // What the box shows of /proc is its own: readable, but with nothing of the app in it.
    for (const name of ["parent environ", "pid 1 environ", "every environ"]) expect(got[name]?.value ?? "").not.toContain(SECRET);
    const reached = Object.entries(got).filter(([name, r]) => r.ok && name !== "parent environ" && name !== "pid 1 environ" && name !== "write host tmp");
    expect(reached, JSON.stringify(got, null, 2)).toEqual([]);
    expect(existsSync(join(place, "written-from-the-box"))).toBe(false);
    expect(existsSync(join(app, "pwned"))).toBe(false);

    // The build went on: the harness's legitimate change is on the branch, and the app is alive to say so.
    const artifact = foldFromDouble(sb.double, issue, sandboxKey(sb));
    expect(artifact.attempts.build).toBe(1);
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const branch = sb.double.pulls()[0]?.pull?.head ?? "";
    expect(sb.double.commentsOn(pr).some((c) => c.body.startsWith("### Build summary"))).toBe(true);

    // Nowhere the line writes: the commits, comments, check runs, the prompt's record, the logs.
    const everything = [
      execFileSync("git", ["log", "-p", `refs/heads/${branch}`], { cwd: sb.double.git.dir, encoding: "utf8" }),
      ...[...sb.double.comments.values()].map((c) => c.body),
      ...[...sb.double.issues.values()].map((i) => `${i.title}\n${i.body ?? ""}`),
      ...sb.double.checkRunsFor(sb.double.git.refSha(`heads/${branch}`) ?? "").map((r) => JSON.stringify(r.output)),
      ...logs,
    ].join("\n");
    expect(everything).not.toContain(SECRET);
  });

  it("gives each job's git a token for this repository's contents only: the build's can push, the verifier's only read", { timeout: 60_000 }, async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const scoped = [...sb.double.tokens].filter(([, scope]) => scope.scopedPermissions);
    const levels = scoped.map(([, scope]) => scope.permissions.contents).sort();
    // The build's (clone, then push) and the verifier's (clone): each minted for the job, none for the whole installation.
    expect(levels).toEqual(["read", "write", "write"]);
    for (const [, scope] of scoped) {
      expect(scope.repositories).toEqual([sb.double.repo]);
      expect(Object.keys(scope.permissions).sort()).toEqual(["contents", "metadata"]);
    }
    const [write] = scoped.find(([, scope]) => scope.permissions.contents === "write") ?? [""];
    const [read] = scoped.find(([, scope]) => scope.permissions.contents === "read") ?? [""];
    // Leaked, the build's token opens no comment, check run or other repository.
    const call = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${sb.server.apiUrl}${path}`, { method, headers: { authorization: `token ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) }).then((r) => r.status);
    const repo = `/repos/${sb.double.owner}/${sb.double.repo}`;
    expect(await call(write, "POST", `${repo}/issues/${issue}/comments`, { body: "from a leaked token" })).toBe(403);
    expect(await call(write, "POST", `${repo}/check-runs`, { name: "factory/verify", head_sha: "0".repeat(40), conclusion: "success" })).toBe(403);
    expect(await call(write, "GET", `/repos/${sb.double.owner}/another/contents/README.md`)).toBe(404);
    expect(await call(write, "GET", `${repo}/contents/package.json`)).toBe(200);
    // The verifier's clones, and cannot push.
    const clone = mkdtempSync(join(place, "clone-"));
    await execFileAsync("git", ["clone", "-q", sb.server.cloneUrl(read), clone]);
    writeFileSync(join(clone, "pushed.txt"), "x");
    await execFileAsync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "x", "--allow-empty"], { cwd: clone });
    await expect(execFileAsync("git", ["push", "-q", "origin", "HEAD:refs/heads/from-a-read-token"], { cwd: clone })).rejects.toThrow(/Write access to repository not granted|403/);
    expect(sb.double.git.refSha("heads/from-a-read-token")).toBeUndefined();
  });
});
