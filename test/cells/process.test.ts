import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { lastLines, runProcess, type ProcessOptions } from "../../src/cells/process.js";

const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), "factory-process-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (more: Partial<ProcessOptions> = {}): ProcessOptions => ({ cwd: dir, env: {}, timeoutMs: 15_000, ...more });
const node = (script: string, more: Partial<ProcessOptions> = {}) => runProcess([NODE, "-e", script], options(more));

/**
 * Whether a process still runs. A killed orphan may stay a zombie when PID 1 does
 * not reap (as in some containers): it is dead, but `kill(pid, 0)` still succeeds,
 * so /proc decides.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return existsSync(`/proc/${pid}`) || !existsSync("/proc");
  }
}

async function waitUntilGone(pid: number, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return !alive(pid);
}

/** Pids a test started, killed afterwards so a failing test leaves nothing behind. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already, as it should be.
    }
  }
});

function readPid(file: string): number {
  const pid = Number(readFileSync(file, "utf8"));
  // Never 0 or negative: `process.kill(0, …)` would signal the test's own process group.
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${file} holds no pid: ${pid}`);
  started.push(pid);
  return pid;
}

/** A script that starts a grandchild (sleeping forever, its stdio as given) which writes its pid to `pidFile`. */
function withGrandchild(pidFile: string, grandchild: { ignoreTerm?: boolean; stdio: "inherit" | "ignore" }, then: string): string {
  // Written then renamed, so whoever sees the file sees the whole pid.
  const inner = `${grandchild.ignoreTerm ? "process.on('SIGTERM', () => {});" : ""} const fs = require('fs'); fs.writeFileSync(${JSON.stringify(`${pidFile}.tmp`)}, String(process.pid)); fs.renameSync(${JSON.stringify(`${pidFile}.tmp`)}, ${JSON.stringify(pidFile)}); setInterval(() => {}, 1000);`;
  return `
    const { spawn } = require('child_process');
    const fs = require('fs');
    spawn(process.execPath, ['-e', ${JSON.stringify(inner)}], { stdio: ${JSON.stringify(grandchild.stdio)} });
    const wait = setInterval(() => { if (fs.existsSync(${JSON.stringify(pidFile)})) { clearInterval(wait); ${then} } }, 10);
  `;
}

describe("runProcess", () => {
  it("reports the exit code and what the process wrote to stdout and stderr", async () => {
    const result = await node("process.stdout.write('out text'); process.stderr.write('err text'); process.exit(7)");
    expect(result).toMatchObject({ exitCode: 7, signal: null, timedOut: false, cancelled: false, spawnError: undefined, stdout: "out text", stderr: "err text", outputBytes: 16 });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("passes argv without a shell: metacharacters arrive literally", async () => {
    const arg = "$(echo no) `echo no` ; echo no && 'q' \"dq\"\nline2 *";
    const result = await runProcess([NODE, "-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", arg, "second"], options());
    expect(JSON.parse(result.stdout)).toEqual([arg, "second"]);
  });

  it("runs in the given working directory with stdin closed", async () => {
    const result = await node("process.stdin.on('data', () => {}); process.stdin.on('end', () => console.log('eof', process.cwd()))");
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`eof ${dir}`);
  });

  it("passes exactly the environment it is given, nothing from the parent's", async () => {
    process.env.FACTORY_TEST_PARENT_ONLY = "leaks";
    try {
      const result = await node("process.stdout.write(JSON.stringify(process.env))", { env: { ONLY_THIS: "yes", ALSO: "a b" } });
      expect(JSON.parse(result.stdout)).toEqual({ ONLY_THIS: "yes", ALSO: "a b" });
    } finally {
      delete process.env.FACTORY_TEST_PARENT_ONLY;
    }
  });

  it("keeps the LAST maxOutputBytes of each stream and counts every byte", async () => {
    // 2,000 numbered lines in many writes, on both streams.
    const script = "for (let i = 0; i < 2000; i++) { process.stdout.write(`line ${i}\\n`); process.stderr.write(`err ${i}\\n`); }";
    const result = await node(script, { maxOutputBytes: 100 });
    let out = "";
    let err = "";
    for (let i = 0; i < 2000; i++) {
      out += `line ${i}\n`;
      err += `err ${i}\n`;
    }
    expect(result.stdout).toBe(out.slice(-100));
    expect(result.stderr).toBe(err.slice(-100));
    expect(result.stdout.endsWith("line 1999\n")).toBe(true);
    expect(result.outputBytes).toBe(Buffer.byteLength(out) + Buffer.byteLength(err));
  });

  it("keeps everything when the output is under the cap", async () => {
    const result = await node("console.log('a'); console.log('b')", { maxOutputBytes: 1000 });
    expect(result.stdout).toBe("a\nb\n");
  });

  it("keeps the tail of one write larger than the cap", async () => {
    const result = await node("process.stdout.write('x'.repeat(50000) + 'THE END')", { maxOutputBytes: 10 });
    expect(result.stdout).toBe("xxxTHE END");
    expect(result.outputBytes).toBe(50007);
  });

  // A cap of 0 once made Tail.push shift past the last chunk: a TypeError in a stream handler.
  it("with maxOutputBytes 0 keeps nothing, counts everything, and does not throw", async () => {
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.on("uncaughtException", onError);
    try {
      const result = await node("process.stdout.write('hello')", { maxOutputBytes: 0 });
      expect(result.stdout).toBe("");
      expect(result.outputBytes).toBe(5);
      expect(thrown.map(String)).toEqual([]);
    } finally {
      process.off("uncaughtException", onError);
    }
  });

  it("on timeout kills the whole process group, grandchild included", async () => {
    const pidFile = join(dir, "timeout-grandchild.pid");
    const result = await node(withGrandchild(pidFile, { stdio: "inherit" }, "console.log('ready'); setInterval(() => {}, 1000);"), { timeoutMs: 2_000, graceMs: 500 });
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.stdout).toContain("ready");
    expect(result.signal).toBe("SIGTERM");
    const grandchild = readPid(pidFile);
    expect(await waitUntilGone(grandchild)).toBe(true);
  });

  it("after the grace period SIGKILLs a grandchild that ignores SIGTERM and holds the output open", async () => {
    const pidFile = join(dir, "stubborn-grandchild.pid");
    const script = withGrandchild(pidFile, { stdio: "inherit", ignoreTerm: true }, "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);");
    const result = await node(script, { timeoutMs: 2_000, graceMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(await waitUntilGone(readPid(pidFile))).toBe(true);
  });

  it("kills what the process left running in the background when it exits by itself", async () => {
    const pidFile = join(dir, "leftover-grandchild.pid");
    const result = await node(withGrandchild(pidFile, { stdio: "ignore" }, "process.exit(0);"));
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
    expect(await waitUntilGone(readPid(pidFile))).toBe(true);
  });

  it("an abort cancels the run and kills the group", async () => {
    const pidFile = join(dir, "abort-grandchild.pid");
    const controller = new AbortController();
    const running = node(withGrandchild(pidFile, { stdio: "inherit" }, "setInterval(() => {}, 1000);"), { signal: controller.signal, graceMs: 500 });
    const until = Date.now() + 10_000;
    while (!existsSync(pidFile) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    const grandchild = readPid(pidFile);
    // The helper sees a live process as alive, so "gone" below means something.
    expect(alive(grandchild)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ cancelled: true, timedOut: false });
    expect(result.exitCode).not.toBe(0);
    expect(await waitUntilGone(grandchild)).toBe(true);
  });

  it("a signal aborted before the start cancels at once", async () => {
    const marker = join(dir, "should-not-exist");
    const result = await node(`setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'), 2000); setInterval(() => {}, 1000);`, {
      signal: AbortSignal.abort(),
      graceMs: 200,
    });
    expect(result).toMatchObject({ cancelled: true, timedOut: false });
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("a missing executable gives spawnError, not an exception", async () => {
    const result = await runProcess(["factory-no-such-harness-cli", "--flag"], options());
    expect(result.spawnError).toMatch(/ENOENT/);
    expect(result.exitCode).not.toBe(0);
    expect(result).toMatchObject({ timedOut: false, cancelled: false, stdout: "", stderr: "", outputBytes: 0 });
  });

  it("a missing working directory gives spawnError too", async () => {
    const result = await runProcess([NODE, "-e", "0"], options({ cwd: join(dir, "missing", "dir") }));
    expect(result.spawnError).toMatch(/ENOENT/);
  });
});

describe("lastLines", () => {
  it("returns the last n non-empty lines, stdout then stderr, without trailing spaces", () => {
    const result = { stdout: "one\n\ntwo  \n   \nthree\n", stderr: "err one\r\nerr two\n\n" };
    expect(lastLines(result, 3)).toEqual(["three", "err one", "err two"]);
    expect(lastLines(result)).toEqual(["one", "two", "three", "err one", "err two"]);
  });

  it("defaults to 20 lines", () => {
    const stdout = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const lines = lastLines({ stdout, stderr: "" });
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe("line 10");
    expect(lines[19]).toBe("line 29");
  });

  it("is empty for no output", () => {
    expect(lastLines({ stdout: "", stderr: "" })).toEqual([]);
    expect(lastLines({ stdout: "\n\n  \n", stderr: "\n" }, 5)).toEqual([]);
  });
});
