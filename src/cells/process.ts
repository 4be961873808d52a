import { spawn } from "node:child_process";

export interface ProcessResult {
  exitCode: number | null;
  /** The signal that ended it, when one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The process could not start (the executable is missing, say). */
  spawnError: string | undefined;
  /** Why a `watch` ended it, when one did. */
  stopped?: string | undefined;
  /** The last `maxOutputBytes` of stdout and of stderr; earlier output is counted, not kept. */
  stdout: string;
  stderr: string;
  outputBytes: number;
  durationMs: number;
}

export interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Per stream. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
  /**
   * Checked every `everyMs` while the process runs (a disk quota, say): a reason
   * ends the whole group as a timeout does, and is the result's `stopped`.
   */
  watch?: { everyMs: number; check: () => Promise<string | undefined> } | undefined;
}

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Drop whole chunks from the front while what remains still covers the limit.
    while (this.chunks.length > 0 && this.size - (this.chunks[0] as Buffer).length >= this.limit) this.size -= (this.chunks.shift() as Buffer).length;
  }

  text(): string {
    if (this.limit <= 0) return "";
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
  }
}

/**
 * Runs an argv (no shell) in its own process group, with a wall-clock timeout and a
 * cancel signal that end the whole group: SIGTERM, then SIGKILL after a grace period,
 * so an agent's child processes (test runners, dev servers) never outlive the job.
 * Output is capped per stream; stdin is closed.
 */
export function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const [command, ...args] = argv;
  const started = performance.now();
  const limit = options.maxOutputBytes ?? 1_000_000;
  const stdout = new Tail(limit);
  const stderr = new Tail(limit);
  return new Promise((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let spawnError: string | undefined;
    let stopped: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(command ?? "", args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      killTimer ??= setTimeout(() => killGroup("SIGKILL"), options.graceMs ?? 5_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    const watch = options.watch;
    let watching = false;
    const watcher = watch
      ? setInterval(() => {
          if (watching || stopped) return;
          watching = true;
          void watch
            .check()
            .then((reason) => {
              if (reason && !stopped) {
                stopped = reason;
                stop();
              }
            })
            .catch(() => {})
            .finally(() => (watching = false));
        }, watch.everyMs)
      : undefined;
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      spawnError = error.message;
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (watcher) clearInterval(watcher);
      options.signal?.removeEventListener("abort", onAbort);
      // The leader is gone; make sure nothing it started lingers.
      killGroup("SIGKILL");
      if (killTimer) clearTimeout(killTimer);
      resolve({
        exitCode,
        signal,
        timedOut,
        cancelled,
        spawnError,
        ...(stopped ? { stopped } : {}),
        stdout: stdout.text(),
        stderr: stderr.text(),
        outputBytes: stdout.total + stderr.total,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

/** One line of tool output, short enough for a comment and a hidden record (a minified bundle is one line). */
export function clipLine(line: string, max = 400): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length - max} more characters)`;
}

/** The last `n` non-empty lines of a process's output, for a comment, each clipped. */
export function lastLines(result: Pick<ProcessResult, "stdout" | "stderr">, n = 20): string[] {
  const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.replace(/\s+$/, "")).filter(Boolean);
  return lines.slice(-n).map((l) => clipLine(l));
}
