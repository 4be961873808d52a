import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Bottleneck from "bottleneck";
import pino from "pino";
import { createNodeMiddleware, createProbot, type Logger } from "probot";
import { parse } from "yaml";
import { MemoryQueue, type JobQueue } from "../cells/queue.js";
import { MemoryChangedArtifacts } from "../events/changed-artifacts.js";
import { DEFAULT_RETRY, MemoryInbox } from "../events/inbox.js";
import { MemoryLocks } from "../events/locks.js";
import { factoryOctokit } from "../github/octokit.js";
import { factoryApp } from "../index.js";
import { stateKey } from "../state/sign.js";
import type { RunResult } from "@software-factory/github-double";
import type { MergeOptions } from "@software-factory/github-double";
import type { InlineComment, ReviewEvent } from "@software-factory/github-double";
import { GitHubDouble, type DoubleCheckRun, type DoubleComment, type DoubleDispatch, type DoubleEvent, type DoubleIssue, type DoubleStatus, type DoubleWorkflowRun } from "@software-factory/github-double";
import { SandboxServer, type FaultPlan } from "@software-factory/github-double";
import { checkWebhook } from "@software-factory/github-double";
import { WebhookSender, type Delivery } from "@software-factory/github-double";

export interface SandboxOptions {
  owner?: string;
  repo?: string;
  /** The sample repository's files, on its default branch. */
  files?: Record<string, string>;
  /** Where the app's log lines go as well (JSON lines); by default only errors are kept, in `errors`. */
  logTo?: (line: string) => void;
  /**
   * Shortens Probot's write spacing (1-3 s) and retry-after waits to milliseconds:
   * the same throttling and retry plugins, on a faster clock. On by default.
   */
  compressTime?: boolean;
  /** How many times the app's inbox tries a failing event (6, as in production). A test of heavy injected faults may ask for more. */
  eventAttempts?: number;
  /** Extra environment for the app's harnesses (the allow-list `FACTORY_HARNESS_ENV`, a model key). */
  harnessEnv?: Record<string, string>;
  /** Where the app's job workspaces go (default: the OS temp directory). */
  workRoot?: string;
  /**
   * The repository's CI: check runs that register a moment after every push to a
   * branch (not a workflow token's), and finish with a conclusion. Default: one
   * check, `ci/test`, that passes; `false` for a repository with no CI at all.
   */
  /** `held`: CI registers only when the test calls `double.releaseCi()`, however slow the machine is. */
  ci?: { checks: string[]; registerAfterMs?: number; held?: boolean; conclusion?: string; finishAfterMs?: number } | false;
}

export interface TimelineEntry {
  atMs: number;
  kind: "webhook" | "comment" | "label" | "pull" | "push";
  text: string;
}

/** The events `app.yml` subscribes to: the sandbox delivers exactly those, as GitHub would. */
export function subscribedEvents(): string[] {
  const manifest = parse(readFileSync(new URL("../../app.yml", import.meta.url), "utf8")) as { default_events?: string[] };
  return manifest.default_events ?? [];
}

/**
 * A whole offline GitHub with the real app attached: the double over HTTP at the
 * GHE layout, signed webhooks to the app's own HTTP endpoint, and an actor API
 * for people's actions. `idle()` waits until the line has nothing left to do.
 */
export class Sandbox {
  readonly timeline: TimelineEntry[] = [];
  /** Webhook payloads the double sent that GitHub's webhook schemas do not allow (the double's fault, like `server.responseViolations`). */
  readonly webhookViolations: string[] = [];
  /** The local runner's queue inside the app: `idle()` waits for its jobs too. */
  queue: JobQueue = new MemoryQueue(0);
  /** The app's event inbox: `idle()` waits until it has handled everything due soon. */
  inbox = new MemoryInbox();
  private readonly started = Date.now();

  private constructor(
    readonly double: GitHubDouble,
    readonly server: SandboxServer,
    readonly sender: WebhookSender,
    readonly errors: string[],
    private readonly appServer: Server,
    /** The app's webhook secret (a throwaway): the key of its signed records derives from it. */
    readonly webhookSecret: string,
  ) {}

  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const double = new GitHubDouble({
      ...(options.owner ? { owner: options.owner } : {}),
      ...(options.repo ? { repo: options.repo } : {}),
      ...(options.files ? { files: options.files } : {}),
    });
    const server = await SandboxServer.start(double);
    const ci = options.ci ?? { checks: ["ci/test"] };
    if (ci) {
      double.ciChecks = [...ci.checks];
      double.ci = { registerAfterMs: ci.registerAfterMs ?? 20, ...(ci.held ? { held: true } : {}), ...(ci.conclusion !== "none" ? { finish: { conclusion: ci.conclusion ?? "success", afterMs: ci.finishAfterMs ?? 30 } } : {}) };
    }
    const secret = randomBytes(20).toString("hex");
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });

    const errors: string[] = [];
    // The app's own error lines are problems the sandbox reports, like contract violations.
    const log = pino({ level: options.logTo ? "info" : "error" }, {
      write(line: string) {
        options.logTo?.(line);
        const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
        if (entry.level >= 50) errors.push(`${entry.msg ?? ""}${entry.err?.message ? `: ${entry.err.message}` : ""}`);
      },
    });
    const fast = options.compressTime !== false;
    const probot = createProbot({
      env: { APP_ID: "1", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: secret, GHE_HOST: server.host, GHE_PROTOCOL: "http" },
      overrides: { log: log as unknown as Logger, Octokit: fast ? fastOctokit() : factoryOctokit() },
    });
    // Cell jobs run in this process; harnesses clone from and push to the double over git's smart HTTP.
    const queue = new MemoryQueue(2, (message, fields) => errors.push(`${message}: ${JSON.stringify(fields)}`));
    // Retries on a millisecond clock too: an event that fails part-way is tried again at once, as it would be seconds later.
    const attempts = options.eventAttempts ?? 6;
    const inbox = new MemoryInbox({ ...(fast ? { retry: { attempts, baseMs: 5, capMs: 50 } } : options.eventAttempts ? { retry: { ...DEFAULT_RETRY, attempts } } : {}), log: (message, fields) => logLine(log, message, fields) });
    const appEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", GHE_HOST: server.host, GHE_PROTOCOL: "http", ...options.harnessEnv };
    const middleware = await createNodeMiddleware(factoryApp({ queue, inbox, locks: new MemoryLocks(), changed: new MemoryChangedArtifacts(), ledgerDelayMs: fast ? 20 : 2_000, handOffCheckMs: fast ? 20 : 120_000, env: appEnv, ...(options.workRoot ? { workRoot: options.workRoot } : {}), stateKey: stateKey({ WEBHOOK_SECRET: secret }) }), { probot });
    const appServer = createServer((req, res) => {
      void middleware(req, res, () => res.writeHead(404).end());
    });
    // As the double's server: no keep-alive close racing the sender's next delivery on a busy machine.
    appServer.keepAliveTimeout = 60_000;
    appServer.headersTimeout = 65_000;
    await new Promise<void>((resolve) => appServer.listen(0, "127.0.0.1", resolve));
    const webhookUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/api/github/webhooks`;

    const sender = new WebhookSender({ url: webhookUrl, secret, events: subscribedEvents() });
    const sandbox = new Sandbox(double, server, sender, errors, appServer, secret);
    sandbox.queue = queue;
    sandbox.inbox = inbox;
    sender.onDelivered = (delivery) => sandbox.record(delivery);
    double.onEvent = (event) => {
      sandbox.webhookViolations.push(...checkWebhook(event.name, event.payload));
      sandbox.observe(event);
      sender.enqueue(event);
    };
    return sandbox;
  }

  // ---- actor API -------------------------------------------------------------------

  openIssue(author: string, title: string, body: string | null): DoubleIssue {
    return this.double.openIssue(author, title, body);
  }

  label(issue: number, name: string, by = "maintainer"): void {
    this.double.addLabel(issue, name, this.double.user(by));
  }

  comment(thread: number, author: string, body: string): DoubleComment {
    return this.double.postComment(thread, this.double.user(author), body);
  }

  editIssue(issue: number, body: string, by?: string): void {
    this.double.editIssue(issue, body, by ? this.double.user(by) : undefined);
  }

  closeIssue(issue: number, by = "maintainer"): void {
    this.double.closeIssue(issue, this.double.user(by));
  }

  /** A person pushes a commit to a branch (a PR head gets `synchronize`). */
  push(branch: string, files: Record<string, string>, message: string, by = "maintainer"): string {
    return this.double.push(branch, files, message, by);
  }

  /** A person reviews a PR (`APPROVE`, `REQUEST_CHANGES` or `COMMENT`, with inline comments on lines of its diff). */
  review(pr: number, login: string, review: { state: ReviewEvent; body?: string; comments?: InlineComment[] }): void {
    this.double.review(pr, login, review);
  }

  /** A person merges a PR the way the API does (merge commit by default); returns the commit on the base. */
  merge(pr: number, by = "maintainer", options: MergeOptions = {}): string {
    return this.double.merge(pr, by, options);
  }

  /** CI (another app, "GitHub Actions") finishes a check run on a commit. */
  completeCheck(sha: string, name: string, result: { conclusion: string; title?: string; summary?: string; text?: string; annotations?: Array<Record<string, unknown>> }): DoubleCheckRun {
    return this.double.completeCheck(sha, name, result);
  }

  /** Another service sets a commit status. */
  setStatus(sha: string, context: string, state: DoubleStatus["state"], description?: string): void {
    this.double.setStatus(sha, context, state, description);
  }

  /** The Actions runner finishes a dispatched run, with the artifacts and job logs it uploads. */
  completeWorkflowRun(runId: number, result: RunResult): DoubleWorkflowRun {
    return this.double.completeWorkflowRun(runId, result);
  }

  /** Every `workflow_dispatch` the app sent: workflow file, ref, inputs and the run it started. */
  get dispatches(): readonly DoubleDispatch[] {
    return this.double.dispatches;
  }

  /** The app's content-creating requests so far (see `GitHubDouble.writes`). */
  get writes(): number {
    return this.double.writes;
  }

  setPermission(user: string, role: "admin" | "maintain" | "write" | "triage" | "read"): void {
    this.double.permissions.set(user, role);
  }

  injectFaults(plan: FaultPlan | undefined): void {
    this.server.injectFaults(plan);
  }

  redeliver(id: string): void {
    this.sender.redeliver(id);
  }

  /** Waits until no webhook is queued or in flight and the app has no background work. */
  async idle(): Promise<void> {
    for (;;) {
      await this.sender.idle();
      // A timer minutes out (CI's grace period) is not work to wait for.
      await this.inbox.idle({ horizonMs: IDLE_HORIZON_MS });
      await this.queue.idle();
      await new Promise((resolve) => setImmediate(resolve));
      if (this.double.ciBusy) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (this.sender.busy || this.queue.busy || this.inbox.pending(IDLE_HORIZON_MS)) continue;
      return;
    }
  }

  async close(): Promise<void> {
    await this.inbox.close({ graceMs: 5_000 });
    await this.queue.close();
    this.appServer.closeAllConnections();
    await new Promise((resolve) => this.appServer.close(resolve));
    await this.server.close();
    this.double.close();
  }

  // ---- what happened -------------------------------------------------------------------

  private elapsed(): number {
    return Date.now() - this.started;
  }

  private record(delivery: Delivery): void {
    this.timeline.push({
      atMs: this.elapsed(),
      kind: "webhook",
      text: `${delivery.name}${delivery.action ? `.${delivery.action}` : ""} → app answered ${delivery.status} in ${delivery.durationMs} ms`,
    });
  }

  private observe(event: DoubleEvent): void {
    const p = event.payload as { action?: string; sender?: { login?: string }; comment?: { body?: string; id?: number }; issue?: { number?: number }; label?: { name?: string }; number?: number; ref?: string };
    const who = p.sender?.login ?? "?";
    if (event.name === "issue_comment" && p.action === "created") {
      const firstLine = (p.comment?.body ?? "").split("\n").find((l) => l.trim() && !l.startsWith("<!--")) ?? "";
      this.timeline.push({ atMs: this.elapsed(), kind: "comment", text: `@${who} commented on #${p.issue?.number}: ${firstLine.slice(0, 100)}` });
    } else if ((event.name === "issues" || event.name === "pull_request") && (p.action === "labeled" || p.action === "unlabeled")) {
      this.timeline.push({ atMs: this.elapsed(), kind: "label", text: `@${who} ${p.action} #${p.issue?.number ?? p.number} ${p.label?.name}` });
    } else if (event.name === "pull_request" && p.action === "opened") {
      this.timeline.push({ atMs: this.elapsed(), kind: "pull", text: `@${who} opened draft PR #${p.number}` });
    } else if (event.name === "push") {
      this.timeline.push({ atMs: this.elapsed(), kind: "push", text: `@${who} pushed ${p.ref}` });
    }
  }
}

/** How far ahead `idle` looks for timers: one due later is not work the line has now. */
const IDLE_HORIZON_MS = 5_000;

/** The app's Octokit with write spacing and retry waits on a millisecond clock. */
export function fastOctokit() {
  const group = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 5 });
  const write = group();
  const notifications = group();
  return factoryOctokit().defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { ...(options.throttle as object), write, notifications, retryAfterBaseValue: 5, fallbackSecondaryRateRetryAfter: 1 },
    retry: { ...(options.retry as object), retryAfterBaseValue: 5 },
  }));
}

/** The inbox's notes (a retry, a give-up) go to the app's log as warnings. */
function logLine(log: { warn: (fields: object, message: string) => void }, message: string, fields: Record<string, unknown>): void {
  log.warn(fields, message);
}
