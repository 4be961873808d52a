import { execFile } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";

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
 *   private `/tmp` and `/proc`; the job's directory the only writable host path.
 *   When the app runs as root, the box runs as an unprivileged user
 *   (`FACTORY_SANDBOX_UID`, default 65534), so process limits hold.
 * - `none`: no boundary. Only with `FACTORY_SANDBOX=none`, logged as a warning.
 *
 * Limits, in both: processes (`RLIMIT_NPROC`), memory (`RLIMIT_DATA`), the size of
 * any one file (`RLIMIT_FSIZE`); wall time and output are the runner's.
 */
export type BoxKind = "bwrap" | "none";

export interface BoxLimits {
  /** Processes and threads of the box's user. */
  processes: number;
  /** Data segment (heap) per process, in MiB. */
  memoryMb: number;
  /** The largest file a process may write, in MiB. */
  fileSizeMb: number;
}

export const DEFAULT_LIMITS: BoxLimits = { processes: 512, memoryMb: 4096, fileSizeMb: 1024 };

export interface BoxRun {
  /** The job's directory: the only host path the box can write. */
  root: string;
  cwd: string;
  network: "open" | "none";
  limits?: Partial<BoxLimits> | undefined;
}

export interface BoxStatus {
  kind: BoxKind;
  ok: boolean;
  /** What is wrong and what to install, when not ok. */
  problem?: string;
}

/** Linux's usual top-level links into /usr (merged /usr): recreated as links in the box. */
const SYSTEM_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** What a program needs of /etc: name resolution, certificates, the dynamic linker, users. */
const ETC = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group"];

export class Box {
  private checked: Promise<BoxStatus> | undefined;

  constructor(
    readonly kind: BoxKind,
    private readonly options: { uid?: number; readOnly?: readonly string[]; writable?: readonly string[]; bwrap?: string; limits?: BoxLimits; unknown?: string } = {},
  ) {}

  /**
   * The box `FACTORY_SANDBOX` asks for: `bwrap` or `none`; unset, bubblewrap when it
   * is installed, else a box that refuses to run anything (and says what to install).
   */
  static fromEnv(env: NodeJS.ProcessEnv): Box {
    const asked = env.FACTORY_SANDBOX?.trim().toLowerCase();
    const readOnly = (env.FACTORY_SANDBOX_READONLY ?? "").split(":").filter(Boolean);
    const writable = (env.FACTORY_SANDBOX_WRITABLE ?? "").split(":").filter(Boolean);
    const uid = env.FACTORY_SANDBOX_UID ? Number(env.FACTORY_SANDBOX_UID) : undefined;
    const number = (name: string) => (env[name] && Number(env[name]) > 0 ? Number(env[name]) : undefined);
    const limits = {
      ...DEFAULT_LIMITS,
      ...(number("FACTORY_SANDBOX_PROCESSES") ? { processes: number("FACTORY_SANDBOX_PROCESSES") as number } : {}),
      ...(number("FACTORY_SANDBOX_MEMORY_MB") ? { memoryMb: number("FACTORY_SANDBOX_MEMORY_MB") as number } : {}),
      ...(number("FACTORY_SANDBOX_FILE_MB") ? { fileSizeMb: number("FACTORY_SANDBOX_FILE_MB") as number } : {}),
    };
    if (asked === "none") return new Box("none", { limits });
    // A box this runner does not have is not quietly replaced by another: jobs are refused, saying so.
    const unknown = asked && asked !== "bwrap" ? `\`FACTORY_SANDBOX=${asked.slice(0, 40)}\` is not a sandbox this version knows: set \`bwrap\` (the default) or \`none\`.` : undefined;
    return new Box("bwrap", { readOnly, writable, limits, ...(uid !== undefined ? { uid } : {}), ...(unknown ? { unknown } : {}) });
  }

  /** The unprivileged user the box runs as when the app is root; undefined: the app's own. */
  private get runAs(): number | undefined {
    if (this.kind !== "bwrap" || process.getuid?.() !== 0) return undefined;
    return this.options.uid ?? 65534;
  }

  /** The argv that runs `argv` in the box (with the limits), from `run.cwd`. */
  wrap(argv: readonly string[], run: BoxRun): string[] {
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits, ...run.limits };
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
    args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
    // What the operator shares with every box (a package cache, say): writable, and seen by every job.
    for (const path of this.options.writable ?? []) args.push("--bind-try", path, path);
    args.push("--bind", run.root, run.root, "--chdir", run.cwd);
    const uid = this.runAs;
    if (uid !== undefined) args.push("--uid", String(uid), "--gid", String(uid));
    args.push("--", ...limited);
    // bubblewrap needs no privilege; as root, it is started as the unprivileged user, so the limits bind.
    return uid !== undefined ? ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", ...args] : args;
  }

  /** Before a run: the job's directory belongs to the box's user (when that is not the app's). */
  async enter(root: string): Promise<void> {
    const uid = this.runAs;
    if (uid !== undefined) await chownTree(root, uid);
  }

  /** After a run: back to the app's user, so the app's git never reads a repository someone else owns. */
  async leave(root: string): Promise<void> {
    if (this.runAs !== undefined) await chownTree(root, 0);
  }

  /**
   * Checks that the box works here: a process in it runs in a PID namespace of its
   * own. Jobs are refused while it does not.
   */
  status(): Promise<BoxStatus> {
    const checked = (this.checked ??= this.selfTest());
    // A box that works stays checked; one that did not is checked again at the next job (after an install, say).
    void checked.then((status) => {
      if (!status.ok && this.checked === checked) this.checked = undefined;
    });
    return checked;
  }

  private async selfTest(): Promise<BoxStatus> {
    const fail = (problem: string): BoxStatus => ({ kind: this.kind, ok: false, problem });
    if (this.options.unknown) return fail(this.options.unknown);
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
      const message = (error as { stderr?: string; message: string }).stderr?.trim() || (error as Error).message;
      return fail(
        `bubblewrap could not start a box: ${message.split("\n")[0]?.slice(0, 200)}. Install it (\`apt-get install bubblewrap\`), allow unprivileged user namespaces (\`sysctl kernel.unprivileged_userns_clone=1\`; on Ubuntu 24.04, an AppArmor profile for bwrap), or run without a box with \`FACTORY_SANDBOX=none\` (not on a shared host).`,
      );
    }
  }
}

/**
 * A process the box could not start: prlimit and bubblewrap say so and exit 127 (or
 * 1), where a bare spawn would have failed. Returns the reason, or undefined.
 */
export function boxStartError(result: { exitCode: number | null; stderr: string }): string | undefined {
  if (result.exitCode !== 127 && result.exitCode !== 1) return undefined;
  const line = result.stderr.split("\n").find((l) => /^(prlimit: failed to execute|bwrap: execvp)/.test(l));
  return line?.replace(/^(prlimit: failed to execute|bwrap: execvp)\s*/, "").trim();
}

/** `chown -R` without following links. */
async function chownTree(path: string, uid: number): Promise<void> {
  await exec("chown", ["-R", "-h", `${uid}:${uid}`, path]);
}
