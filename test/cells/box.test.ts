import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Box, boxStartError } from "../../src/cells/box.js";

describe("Box", () => {
  it("refuses a sandbox it does not know, saying which to set, instead of using another", async () => {
    const status = await Box.fromEnv({ FACTORY_SANDBOX: "firejail" }).status();
    expect(status).toMatchObject({ ok: false });
    expect(status.problem).toContain("`FACTORY_SANDBOX=firejail` is not a sandbox this version knows: set `bwrap` (the default), `docker`, `podman` or `none`");
  });

  it("none: only the limits, from the environment", () => {
    const argv = Box.fromEnv({ FACTORY_SANDBOX: "none", FACTORY_SANDBOX_PROCESSES: "32", FACTORY_SANDBOX_MEMORY_MB: "256" }).wrap(["node", "x.js"], { root: "/w", cwd: "/w/work", network: "none" });
    expect(argv).toEqual(["prlimit", "--nproc=32", `--data=${256 * 1024 * 1024}`, `--fsize=${1024 * 1024 * 1024}`, "--", "node", "x.js"]);
  });

  it("docker: a throwaway container of the operator's image, locked down, with the variables passed by name only", () => {
    const box = Box.fromEnv({ FACTORY_SANDBOX: "docker", FACTORY_SANDBOX_IMAGE: "factory/node:22", FACTORY_SANDBOX_PROCESSES: "64", FACTORY_SANDBOX_MEMORY_MB: "512", FACTORY_SANDBOX_TMP_MB: "64" });
    const argv = box.wrap(["node", "x.js"], { root: "/w", cwd: "/w/work", network: "none" }, ["PATH", "HOME", "ANTHROPIC_API_KEY"]);
    const text = argv.join(" ");
    expect(argv.slice(0, 4)).toEqual(["docker", "run", "--rm", "--init"]);
    for (const part of ["--network none", "--pids-limit 64", "--memory 512m", "--memory-swap 512m", "--read-only", "--tmpfs /tmp:rw,nosuid,nodev,size=64m", "--cap-drop ALL", "--security-opt no-new-privileges", "--volume /w:/w", "--workdir /w/work", "--env HOME --env ANTHROPIC_API_KEY"]) {
      expect(text).toContain(part);
    }
    // The image's PATH stays; no value of any variable is on the command line.
    expect(text).not.toContain("--env PATH");
    expect(argv.slice(-3)).toEqual(["factory/node:22", "node", "x.js"]);
    expect(box.wrap(["true"], { root: "/w", cwd: "/w", network: "open" }).join(" ")).toContain("--network bridge");
    expect(Box.fromEnv({ FACTORY_SANDBOX: "podman", FACTORY_SANDBOX_IMAGE: "i" }).wrap(["true"], { root: "/w", cwd: "/w", network: "none" })[0]).toBe("podman");
  });

  it("docker: a repository's image only from the operator's allow-list; without an image, or an engine, jobs are refused saying what to do", async () => {
    const box = Box.fromEnv({ FACTORY_SANDBOX: "docker", FACTORY_SANDBOX_IMAGE: "factory/node:22", FACTORY_SANDBOX_IMAGES: "factory/python:3.12, factory/go:1.23" });
    expect(box.wrap(["true"], { root: "/w", cwd: "/w", network: "none", image: "factory/python:3.12" })).toContain("factory/python:3.12");
    const refused = await box.run(["true"], { root: "/w", cwd: "/w", network: "none", image: "evil/miner" }, { cwd: "/", env: {}, timeoutMs: 1000 });
    expect(refused.spawnError).toContain("the image `evil/miner` (`cells.image`) is not one this runner allows");
    expect(refused.spawnError).toContain("FACTORY_SANDBOX_IMAGES");
    expect((await Box.fromEnv({ FACTORY_SANDBOX: "podman" }).status()).problem).toContain("set `FACTORY_SANDBOX_IMAGE`");
    // An engine that does not answer (here: docker's client with no daemon, or no client at all).
    const status = await Box.fromEnv({ FACTORY_SANDBOX: "docker", FACTORY_SANDBOX_IMAGE: "factory/node:22", DOCKER_HOST: "unix:///nonexistent/docker.sock" }).status();
    expect(status).toMatchObject({ kind: "docker", ok: false });
    expect(status.problem).toMatch(/^`docker` could not reach its engine: .+\. Install and start it/);
  });

  it("gives each concurrent job a user of its own when the app is root, and the app's own otherwise", async () => {
    const box = Box.fromEnv({ FACTORY_SANDBOX_UID: "300000" });
    const a = mkdtempSync(join(tmpdir(), "factory-box-a-"));
    const b = mkdtempSync(join(tmpdir(), "factory-box-b-"));
    const uidOf = (root: string) => box.wrap(["id", "-u"], { root, cwd: root, network: "none" }).find((arg) => arg.startsWith("--reuid="));
    try {
      await Promise.all([box.enter(a), box.enter(b)]);
      if (process.getuid?.() === 0) {
        expect([uidOf(a), uidOf(b)].sort()).toEqual(["--reuid=300000", "--reuid=300001"]);
        expect(statSync(a).uid).not.toBe(statSync(b).uid);
        await box.leave(a);
        await box.enter(a);
        expect(uidOf(a)).toBe("--reuid=300000");
      } else {
        expect([uidOf(a), uidOf(b)]).toEqual([undefined, undefined]);
      }
    } finally {
      await Promise.all([box.leave(a), box.leave(b)]);
      expect(statSync(a).uid).toBe(process.getuid?.());
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it("stops a process whose job directory grows past its quota, and caps the private /tmp", { timeout: 30_000 }, async () => {
    const box = Box.fromEnv({ FACTORY_SANDBOX_DISK_MB: "10", FACTORY_SANDBOX_TMP_MB: "8" });
    const root = mkdtempSync(join(tmpdir(), "factory-box-quota-"));
    try {
      await box.enter(root);
      const env = { PATH: "/usr/bin:/bin" };
      const filler = await box.run(["sh", "-c", "for i in 1 2 3 4; do head -c 5000000 /dev/zero > f$i; done; sleep 60"], { root, cwd: root, network: "none" }, { cwd: root, env, timeoutMs: 25_000, graceMs: 500 });
      expect(filler.timedOut).toBe(false);
      expect(filler.stopped).toMatch(/^the job's directory grew to 2\d MiB, past its 10 MiB quota \(`FACTORY_SANDBOX_DISK_MB`\)$/);
      const tmp = await box.run(["sh", "-c", "head -c 20000000 /dev/zero > /tmp/big"], { root, cwd: root, network: "none" }, { cwd: root, env, timeoutMs: 10_000 });
      expect(tmp.exitCode).not.toBe(0);
      expect(tmp.stderr).toMatch(/No space left on device/);
    } finally {
      await box.leave(root);
      rmSync(root, { recursive: true, force: true });
    }
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
