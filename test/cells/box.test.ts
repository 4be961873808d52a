import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Box, boxStartError } from "../../src/cells/box.js";

describe("Box", () => {
  it("refuses a sandbox it does not know, saying which to set, instead of using another", async () => {
    const status = await Box.fromEnv({ FACTORY_SANDBOX: "docker" }).status();
    expect(status).toMatchObject({ ok: false });
    expect(status.problem).toContain("`FACTORY_SANDBOX=docker` is not a sandbox this version knows");
  });

  it("none: only the limits, from the environment", () => {
    const argv = Box.fromEnv({ FACTORY_SANDBOX: "none", FACTORY_SANDBOX_PROCESSES: "32", FACTORY_SANDBOX_MEMORY_MB: "256" }).wrap(["node", "x.js"], { root: "/w", cwd: "/w/work", network: "none" });
    expect(argv).toEqual(["prlimit", "--nproc=32", `--data=${256 * 1024 * 1024}`, `--fsize=${1024 * 1024 * 1024}`, "--", "node", "x.js"]);
  });

  it("bwrap: a network namespace of its own only with network none; the job's directory bound writable", () => {
    const box = Box.fromEnv({});
    const none = box.wrap(["true"], { root: "/w", cwd: "/w/work", network: "none" });
    const open = box.wrap(["true"], { root: "/w", cwd: "/w/work", network: "open" });
    expect(none).toContain("--unshare-net");
    expect(open).not.toContain("--unshare-net");
    expect(open.join(" ")).toContain("--bind /w /w --chdir /w/work");
  });

  it("runs a process in a PID namespace of its own, and a missing program is reported as not started", async () => {
    const box = Box.fromEnv({});
    expect(await box.status()).toEqual({ kind: "bwrap", ok: true });
    const root = mkdtempSync(join(tmpdir(), "factory-box-test-"));
    try {
      await box.enter(root);
      const [command = "", ...args] = box.wrap(["sh", "-c", "echo $$"], { root, cwd: root, network: "none" });
      expect(Number(execFileSync(command, args, { encoding: "utf8" }).trim())).toBeLessThan(10);
      const [missing = "", ...rest] = box.wrap(["no-such-harness"], { root, cwd: root, network: "none" });
      let stderr = "";
      let exitCode: number | null = 0;
      try {
        execFileSync(missing, rest, { encoding: "utf8", stdio: "pipe" });
      } catch (error) {
        stderr = String((error as { stderr: string }).stderr);
        exitCode = (error as { status: number | null }).status;
      }
      expect(boxStartError({ exitCode, stderr })).toMatch(/no-such-harness/);
    } finally {
      await box.leave(root);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
