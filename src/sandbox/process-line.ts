/**
 * The app as it runs in production behind a load balancer: several real processes
 * (app-process.ts, the server of `npm start`) sharing one redis-server,
 * in front of the GitHub double over HTTP, with signed webhooks. A test can stop
 * deliveries, let them arrive in a burst, route each to one process or to all, and
 * kill a process with any signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { workWithin } from "../events/redis-inbox.js";
import { stateKey } from "../state/sign.js";
import { GitHubDouble } from "@software-factory/github-double";
import type { RunningRedis } from "./redis-server.js";
import { subscribedEvents } from "./sandbox.js";
import { SandboxServer } from "@software-factory/github-double";
import { WebhookSender } from "@software-factory/github-double";
import { freePort } from "./free-port.js";

const APP_PROCESS = new URL("./app-process.ts", import.meta.url).pathname;

export interface AppProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Log lines at level error or above. */
  errors: string[];
  exited: Promise<number | null>;
}

/**
 * Runs a server script (`node --import tsx <script>`) with `env` on `port` (a free
 * one by default) and waits until it answers `/ping`. Its log lines at level error
 * and above are kept in `errors`.
 */
export async function startProcess(script: string, env: Record<string, string>, port?: number): Promise<AppProcess> {
  const at = port ?? (await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...env, PORT: String(at) }, stdio: ["pipe", "pipe", "pipe"] });
  const errors: string[] = [];
  let pending = "";
  const read = (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 50) errors.push(`${entry.msg ?? ""}${entry.err?.message ? `: ${entry.err.message}` : ""}`);
      } catch {
        if (line.trim()) errors.push(`(not JSON) ${line.slice(0, 500)}`);
      }
    }
  };
  child.stdout?.on("data", read);
  child.stderr?.on("data", read);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const app: AppProcess = { child, url: `http://127.0.0.1:${at}/api/github/webhooks`, port: at, errors, exited };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${at}/ping`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${errors.join("; ")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${script} on port ${at} did not answer within 30 s`);
    }
    await sleep(100);
  }
  return app;
}


export class ProcessLine {
  readonly apps: AppProcess[] = [];
  private readonly queues: Queue[];

  private constructor(
    readonly double: GitHubDouble,
    readonly server: SandboxServer,
    readonly sender: WebhookSender,
    readonly secret: string,
    readonly env: Record<string, string>,
  ) {
    const connection = { url: env.REDIS_URL as string };
    this.queues = [new Queue("factory-events", { connection }), new Queue("factory-cells", { connection })];
  }

  static async start(options: { redis: RunningRedis; processes: number; files?: Record<string, string>; env?: Record<string, string> }): Promise<ProcessLine> {
    const double = new GitHubDouble(options.files ? { files: options.files } : {});
    const server = await SandboxServer.start(double);
    const secret = randomBytes(20).toString("hex");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      APP_ID: "1",
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: secret,
      GHE_HOST: server.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      REDIS_URL: options.redis.url,
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      NODE_ENV: "production",
      ...options.env,
    };
    const ports = await Promise.all(Array.from({ length: options.processes }, () => freePort()));
    const sender = new WebhookSender({ url: ports.map((port) => `http://127.0.0.1:${port}/api/github/webhooks`), secret, events: subscribedEvents() });
    const line = new ProcessLine(double, server, sender, secret, env);
    double.onEvent = (event) => sender.enqueue(event);
    await Promise.all(ports.map((port) => line.spawn(port)));
    return line;
  }

  /** The key the processes sign records with, to fold from outside. */
  get stateKey(): Buffer {
    return stateKey({ WEBHOOK_SECRET: this.secret });
  }

  /** Starts one more app process on `port` and waits until it answers. */
  async spawn(port?: number): Promise<AppProcess> {
    const app = await startProcess(APP_PROCESS, this.env, port);
    this.apps.push(app);
    return app;
  }

  /** Waits until no delivery is in flight and Redis holds no event or job to handle, and it stays so a moment. */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 3) {
      if (Date.now() > deadline) throw new Error(`the line did not settle within ${timeoutMs} ms`);
      await this.sender.idle();
      // A timer minutes out (CI's grace period) is not work to wait for.
      const work = await Promise.all(this.queues.map((q) => workWithin(q, 5_000)));
      const busy = work.some((n) => n > 0) || this.sender.busy || this.double.ciBusy;
      quiet = busy ? 0 : quiet + 1;
      await sleep(100);
    }
  }

  errors(): string[] {
    return this.apps.flatMap((app, i) => app.errors.map((e) => `process ${i}: ${e}`));
  }

  async close(): Promise<void> {
    for (const app of this.apps) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill("SIGKILL");
    await Promise.all(this.apps.map((app) => app.exited));
    await Promise.all(this.queues.map((q) => q.close()));
    await this.server.close();
    this.double.close();
  }
}
