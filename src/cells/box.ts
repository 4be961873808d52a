import { execFile } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { runProcess, type ProcessOptions, type ProcessResult } from "./process.js";

const exec = promisify(execFile);

/**
 * The isolation boundary around every process the factory starts for a repository
 * (a harness, a verify command). An agent and a repository's scripts are untrusted
 * code: in the box they see their job's directory (writable), a read-only system,
 * their own processes and nothing else of the host: not the app's environment, its
 * key file, its source, other jobs' workspaces or the app's home.
 *
 * - `bwrap` (bubblewrap): new user, PID, IPC, UTS (and, with `network: none`,
 *   network) namespaces; `/usr` (and the Node.js the app runs on) read-only; a
 *   private, size-capped `/tmp` and a `/proc` of its own; the job's directory the
 *   only writable host path. Limits by `prlimit`.
 * - `docker` / `podman`: a throwaway container of the operator's image
 *   (`FACTORY_SANDBOX_IMAGE`), read-only root, no capabilities, no new privileges,
 *   the job's directory mounted at the same path, `--network none` when asked;
 *   limits by the engine (processes and memory per container).
 * - `none`: no boundary. Only with `FACTORY_SANDBOX=none`, logged as a warning.
 *
 * When the app runs as root, every job runs as an unprivileged user of its own
 * (`FACTORY_SANDBOX_UID` upward, one per concurrent job), so one job's processes
 * count against its own limit, not a neighbour's. The job's directory is checked
 * against a disk quota while the process runs.
 */
export type BoxKind = "bwrap" | "docker" | "podman" | "none";

export interface BoxLimits {
  /** Processes and threads (bwrap, none: of the job's user; docker, podman: of the container). */
  processes: number;
  /** Memory in MiB (bwrap, none: data segment per process; docker, podman: the container's). */
  memoryMb: number;
  /** The largest file a process may write, in MiB. */
  fileSizeMb: number;
  /** The box's private /tmp (in memory), in MiB. */
  tmpMb: number;
  /** The job's directory: the process is stopped when it grows past this, in MiB. */
  diskMb: number;
}

export const DEFAULT_LIMITS: BoxLimits = { processes: 512, memoryMb: 4096, fileSizeMb: 1024, tmpMb: 1024, diskMb: 8192 };

/** The first uid jobs run as when the app is root; each concurrent job takes the next free one. */
export const DEFAULT_UID = 200_000;

/** How often a running job's directory is measured against its quota. */
const DISK_CHECK_MS = 5_000;

export interface BoxRun {
  /** The job's directory: the only host path the box can write. */
  root: string;
  cwd: string;
  network: "open" | "none";
  limits?: Partial<BoxLimits> | undefined;
  /** The container image a repository asks for (`cells.image`); the operator's allow-list decides. */
  image?: string | undefined;
}

export interface BoxStatus {
  kind: BoxKind;
  ok: boolean;
  /** What is wrong and what to install, when not ok. */
  problem?: string;
  /** docker, podman: the image jobs run in. */
  image?: string;
}

interface BoxOptions {
  /** The first uid of the jobs' users (when the app is root). */
  uid?: number;
  readOnly?: readonly string[];
  writable?: readonly string[];
  bwrap?: string;
  limits?: BoxLimits;
  /** A configuration that cannot work: jobs are refused with this. */
  unknown?: string;
  /** docker, podman: the operator's image, and the others a repository may choose. */
  image?: string;
  images?: readonly string[];
  /** docker, podman: what the engine's client needs of the app's environment (never passed into the container). */
  client?: Record<string, string>;
}

/** The app's variables an engine's client needs to reach its daemon. */
const CLIENT_ENV = ["DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "CONTAINER_HOST", "XDG_RUNTIME_DIR"];

/** Linux's usual top-level links into /usr (merged /usr): recreated as links in the box. */
const SYSTEM_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** What a program needs of /etc: name resolution, certificates, the dynamic linker, users. */
const ETC = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group"];

export class Box {
  private checked: Promise<BoxStatus> | undefined;
  /** What the last self-test that finished found. */
  private last: BoxStatus | undefined;
  /** The uid each job's directory is lent to, while its job runs. */
  private readonly lent = new Map<string, number>();

  constructor(
    readonly kind: BoxKind,
    private readonly options: BoxOptions = {},
  ) {}

  /**
   * The box `FACTORY_SANDBOX` asks for: `bwrap` (the default), `docker`, `podman` or
   * `none`. A box this runner cannot provide is not quietly replaced by another: it
   * refuses jobs, saying what to set or install.
   */
  static fromEnv(env: NodeJS.ProcessEnv): Box {
    const asked = env.FACTORY_SANDBOX?.trim().toLowerCase() || "bwrap";
    const list = (name: string, separator: string) => (env[name] ?? "").split(separator).map((v) => v.trim()).filter(Boolean);
    const number = (name: string) => (env[name] && Number(env[name]) > 0 ? Number(env[name]) : undefined);
    const limits: BoxLimits = {
      processes: number("FACTORY_SANDBOX_PROCESSES") ?? DEFAULT_LIMITS.processes,
      memoryMb: number("FACTORY_SANDBOX_MEMORY_MB") ?? DEFAULT_LIMITS.memoryMb,
      fileSizeMb: number("FACTORY_SANDBOX_FILE_MB") ?? DEFAULT_LIMITS.fileSizeMb,
      tmpMb: number("FACTORY_SANDBOX_TMP_MB") ?? DEFAULT_LIMITS.tmpMb,
      diskMb: number("FACTORY_SANDBOX_DISK_MB") ?? DEFAULT_LIMITS.diskMb,
    };
    const uid = number("FACTORY_SANDBOX_UID");
    const shared = { readOnly: list("FACTORY_SANDBOX_READONLY", ":"), writable: list("FACTORY_SANDBOX_WRITABLE", ":"), limits, ...(uid ? { uid } : {}) };
    if (asked === "none") return new Box("none", { limits });
    if (asked === "docker" || asked === "podman") {
      const image = env.FACTORY_SANDBOX_IMAGE?.trim();
      const client = Object.fromEntries(CLIENT_ENV.filter((name) => env[name]).map((name) => [name, env[name] as string]));
      return new Box(asked, {
        ...shared,
        client,
        images: list("FACTORY_SANDBOX_IMAGES", ","),
        ...(image ? { image } : { unknown: `\`FACTORY_SANDBOX=${asked}\` needs the image jobs run in: set \`FACTORY_SANDBOX_IMAGE\` (an image with git and the harness's tools, pulled on this host).` }),
      });
    }
    if (asked === "bwrap") return new Box("bwrap", shared);
    return new Box("bwrap", { ...shared, unknown: `\`FACTORY_SANDBOX=${asked.slice(0, 40)}\` is not a sandbox this version knows: set \`bwrap\` (the default), \`docker\`, \`podman\` or \`none\`.` });
  }

  private get asRoot(): boolean {
    return this.kind !== "none" && process.getuid?.() === 0;
  }

  /** The user a job's processes run as: its own when the app is root; undefined: the app's. */
  private uidFor(root: string): number | undefined {
    if (!this.asRoot) return undefined;
    return this.lent.get(root) ?? this.options.uid ?? DEFAULT_UID;
  }

  /** The image a run uses: the operator's, or one the repository asks for that the operator allows. */
  private imageFor(run: BoxRun): string {
    const image = this.options.image ?? "";
    if (!run.image || run.image === image) return image;
    if (this.options.images?.includes(run.image)) return run.image;
    throw new Error(
      `the image \`${run.image.slice(0, 100)}\` (\`cells.image\`) is not one this runner allows: its operator lists the allowed ones in \`FACTORY_SANDBOX_IMAGES\`; without \`cells.image\`, jobs run in \`${image}\``,
    );
  }

  /**
   * The argv that runs `argv` in the box (with the limits), from `run.cwd`. `env`
   * names the variables the process is given (a container gets only those).
   */
  wrap(argv: readonly string[], run: BoxRun, env: readonly string[] = []): string[] {
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits, ...run.limits };
    if (this.kind === "docker" || this.kind === "podman") return this.container(argv, run, limits, env);
    const limited = ["prlimit", `--nproc=${limits.processes}`, `--data=${limits.memoryMb * 1024 * 1024}`, `--fsize=${limits.fileSizeMb * 1024 * 1024}`, "--", ...argv];
    if (this.kind === "none") return limited;
    const args = [
      this.options.bwrap ?? "bwrap",
      "--die-with-parent",
      "--new-session",
      "--unshare-user",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-cgroup-try",
      ...(run.network === "none" ? ["--unshare-net"] : []),
      "--hostname",
      "factory-box",
      "--ro-bind",
      "/usr",
      "/usr",
    ];
    for (const dir of SYSTEM_DIRS) {
      if (!existsSync(dir)) continue;
      if (lstatSync(dir).isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
      else args.push("--ro-bind", dir, dir);
    }
    for (const path of ETC) args.push("--ro-bind-try", path, path);
    // The Node.js the app runs on (a harness is often a Node.js program), and what the operator adds.
    const node = dirname(dirname(process.execPath));
    for (const path of [...(node.startsWith("/usr") ? [] : [node]), ...(this.options.readOnly ?? [])]) args.push("--ro-bind-try", path, path);
    args.push("--proc", "/proc", "--dev", "/dev", "--size", String(limits.tmpMb * 1024 * 1024), "--tmpfs", "/tmp");
    // What the operator shares with every box (a package cache, say): writable, and seen by every job.
    for (const path of this.options.writable ?? []) args.push("--bind-try", path, path);
    args.push("--bind", run.root, run.root, "--chdir", run.cwd);
    const uid = this.uidFor(run.root);
    if (uid !== undefined) args.push("--uid", String(uid), "--gid", String(uid));
    args.push("--", ...limited);
    // bubblewrap needs no privilege; as root, it is started as the job's unprivileged user, so the limits bind.
    return uid !== undefined ? ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", ...args] : args;
  }

  /** `docker run` / `podman run`: a throwaway container with the job's directory mounted where it is on the host. */
  private container(argv: readonly string[], run: BoxRun, limits: BoxLimits, env: readonly string[]): string[] {
    const uid = this.uidFor(run.root) ?? process.getuid?.() ?? 1000;
    const mb = (n: number) => `${n}m`;
    return [
      this.kind,
      "run",
      "--rm",
      "--init",
      "--network",
      run.network === "none" ? "none" : "bridge",
      "--pids-limit",
      String(limits.processes),
      "--memory",
      mb(limits.memoryMb),
      "--memory-swap",
      mb(limits.memoryMb),
      "--ulimit",
      `fsize=${limits.fileSizeMb * 1024 * 1024}`,
      "--read-only",
      "--tmpfs",
      `/tmp:rw,nosuid,nodev,size=${mb(limits.tmpMb)}`,
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      ...(this.kind === "podman" && !this.asRoot ? ["--userns", "keep-id"] : []),
      "--user",
      `${uid}:${uid}`,
      "--volume",
      `${run.root}:${run.root}`,
      ...(this.options.writable ?? []).flatMap((path) => ["--volume", `${path}:${path}`]),
      ...(this.options.readOnly ?? []).flatMap((path) => ["--volume", `${path}:${path}:ro`]),
      "--workdir",
      run.cwd,
      // Names only: the values come from the client's environment, never from its argv. The image's PATH stays.
      ...env.filter((name) => name !== "PATH").flatMap((name) => ["--env", name]),
      this.imageFor(run),
      ...argv,
    ];
  }

  /**
   * Runs `argv` in the box as {@link runProcess} does, with the job's disk quota
   * watched; a process the box could not start is reported as not started.
   */
  async run(argv: readonly string[], run: BoxRun, options: ProcessOptions): Promise<ProcessResult> {
    let wrapped: string[];
    try {
      wrapped = this.wrap(argv, run, Object.keys(options.env));
    } catch (error) {
      return { exitCode: null, signal: null, timedOut: false, cancelled: false, spawnError: (error as Error).message, stdout: "", stderr: "", outputBytes: 0, durationMs: 0 };
    }
    const diskMb = run.limits?.diskMb ?? this.options.limits?.diskMb ?? DEFAULT_LIMITS.diskMb;
    const env = this.options.client ? { ...options.env, ...this.options.client } : options.env;
    const result = await runProcess(wrapped, { ...options, env, watch: { everyMs: DISK_CHECK_MS, check: () => overQuota(run.root, diskMb) } });
    const startError = boxStartError(result);
    return startError ? { ...result, spawnError: startError } : result;
  }

  /** Before a job: its directory belongs to the job's own user (when that is not the app's). */
  async enter(root: string): Promise<void> {
    if (!this.asRoot) return;
    const taken = new Set(this.lent.values());
    let uid = this.options.uid ?? DEFAULT_UID;
    while (taken.has(uid)) uid++;
    this.lent.set(root, uid);
    await chownTree(root, uid);
  }

  /** After a job: back to the app's user, so the app's git never reads a repository someone else owns. */
  async leave(root: string): Promise<void> {
    if (!this.lent.has(root)) return;
    try {
      await chownTree(root, 0);
    } finally {
      this.lent.delete(root);
    }
  }

  /**
   * Checks that the box works here: a process in it runs in a PID namespace of its
   * own (bwrap), or the engine answers and has the image (docker, podman). Jobs are
   * refused while it does not.
   */
  status(): Promise<BoxStatus> {
    const checked = (this.checked ??= this.selfTest());
    // A box that works stays checked; one that did not is checked again at the next job (after an install, say).
    void checked.then((status) => {
      this.last = status;
      if (!status.ok && this.checked === checked) this.checked = undefined;
    });
    return checked;
  }

  /**
   * What the last self-test found, without running one (undefined before the first,
   * started with the app, has finished): for saying so, where a test would cost time.
   */
  known(): BoxStatus | undefined {
    return this.last;
  }

  private async selfTest(): Promise<BoxStatus> {
    const fail = (problem: string): BoxStatus => ({ kind: this.kind, ok: false, problem });
    if (this.options.unknown) return fail(this.options.unknown);
    if (this.kind === "docker" || this.kind === "podman") return this.engineTest(fail);
    try {
      await exec("prlimit", ["--version"]);
    } catch {
      return fail("`prlimit` (util-linux) is not installed: install util-linux.");
    }
    if (this.kind === "none") return { kind: "none", ok: true };
    const root = process.env.TMPDIR ?? "/tmp";
    try {
      // In the box, PID 1 is the box's own, and the app's process is not there to read.
      const [command = "", ...args] = this.wrap(["sh", "-c", "echo $$"], { root, cwd: root, network: "none" });
      const { stdout } = await exec(command, args, { env: { PATH: "/usr/bin:/bin" }, timeout: 10_000 });
      if (!/^\d+$/.test(stdout.trim()) || Number(stdout.trim()) > 10) return fail(`bubblewrap started, but not in a PID namespace of its own (it said "${stdout.trim().slice(0, 40)}").`);
      return { kind: "bwrap", ok: true };
    } catch (error) {
      return fail(
        `bubblewrap could not start a box: ${firstLine(error)}. Install it (\`apt-get install bubblewrap\`), allow unprivileged user namespaces (\`sysctl kernel.unprivileged_userns_clone=1\`; on Ubuntu 24.04, an AppArmor profile for bwrap), or run without a box with \`FACTORY_SANDBOX=none\` (not on a shared host).`,
      );
    }
  }

  /** The engine answers, and the operator's image is on this host. */
  private async engineTest(fail: (problem: string) => BoxStatus): Promise<BoxStatus> {
    const image = this.options.image ?? "";
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...this.options.client };
    try {
      await exec(this.kind, ["version", "--format", "{{.Server.Version}}"], { env, timeout: 15_000 });
    } catch (error) {
      return fail(`\`${this.kind}\` could not reach its engine: ${firstLine(error)}. Install and start it (the app's user must be allowed to use it), or choose \`FACTORY_SANDBOX=bwrap\`.`);
    }
    try {
      await exec(this.kind, ["image", "inspect", image], { env, timeout: 15_000 });
    } catch (error) {
      return fail(`the image \`${image}\` is not on this host (${firstLine(error)}): pull it (\`${this.kind} pull ${image}\`); jobs never pull one themselves.`);
    }
    return { kind: this.kind, ok: true, image };
  }
}

/**
 * A process the box could not start: prlimit and bubblewrap say so and exit 127 (or
 * 1), where a bare spawn would have failed. Returns the reason, or undefined.
 */
export function boxStartError(result: { exitCode: number | null; stderr: string }): string | undefined {
  if (result.exitCode === null || ![1, 125, 126, 127].includes(result.exitCode)) return undefined;
  const lines = result.stderr.split("\n");
  const line = lines.find((l) => /^(prlimit: failed to execute|bwrap: execvp)/.test(l));
  if (line) return line.replace(/^(prlimit: failed to execute|bwrap: execvp)\s*/, "").trim();
  // docker and podman: 125, the engine could not run the container; 126 and 127, the program could not start in it.
  if (result.exitCode === 1) return undefined;
  return lines.find((l) => /^(docker|podman): |^Error: |executable file not found/.test(l))?.trim().slice(0, 300);
}

/** The job's directory, measured: why it is over its quota, or undefined. */
export async function overQuota(root: string, maxMb: number): Promise<string | undefined> {
  const { stdout } = await exec("du", ["-s", "-x", "-m", root], { timeout: 60_000 });
  const used = Number.parseInt(stdout, 10);
  return used > maxMb ? `the job's directory grew to ${used} MiB, past its ${maxMb} MiB quota (\`FACTORY_SANDBOX_DISK_MB\`)` : undefined;
}

function firstLine(error: unknown): string {
  const message = (error as { stderr?: string; message?: string }).stderr?.trim() || (error as Error).message || String(error);
  return message.split("\n")[0]?.slice(0, 200) ?? "";
}

/** `chown -R` without following links. */
async function chownTree(path: string, uid: number): Promise<void> {
  await exec("chown", ["-R", "-h", `${uid}:${uid}`, path]);
}
