/**
 * One test's world: a GitHubDouble behind nock, the real app through
 * `probot.receive`, and deliveries built from GitHub's own example payloads with
 * the double's current state. Keeps each test about its scenario.
 */
import type { EmitterWebhookEvent } from "@octokit/webhooks";
import { afterEach, beforeEach, expect } from "vitest";
import { factoryApp, type FactoryAppOptions } from "../../src/index.js";
import { MemoryQueue } from "../../src/cells/queue.js";
import { MemoryChangedArtifacts } from "../../src/events/changed-artifacts.js";
import { MemoryInbox } from "../../src/events/inbox.js";
import { MemoryLocks } from "../../src/events/locks.js";
import { GitHubDouble, type DoubleComment } from "@software-factory/github-double";
import { mountDouble } from "./github-nock.js";
import { issueCommentCreated, issuesEdited, issuesLabeled } from "./payloads.js";
import { createTestApp, type TestApp } from "./test-app.js";

export const VALID_BODY = [
  "### Goal",
  "",
  "Users can switch the settings page to a dark theme.",
  "",
  "### Success criteria",
  "",
  "- [ ] a theme toggle on the settings page",
  "- [ ] the choice survives a reload",
].join("\n");

export interface Scenario {
  double: GitHubDouble;
  app: TestApp;
  errors: string[];
  warnings: string[];
  label(issue: number, options?: { label?: string; sender?: string; deliveryId?: string }): EmitterWebhookEvent<"issues.labeled">;
  edit(issue: number, body: string, options?: { sender?: string }): EmitterWebhookEvent<"issues.edited">;
  comment(thread: number, author: string, body: string): { event: EmitterWebhookEvent<"issue_comment.created">; comment: DoubleComment };
  deliver(event: EmitterWebhookEvent): Promise<void>;
  /** A second app process against the same GitHub: its own inbox, queue and caches, sharing the locks (as two processes share Redis). */
  secondInstance(): Promise<{ deliver(event: EmitterWebhookEvent): Promise<void>; idle(): Promise<void> }>;
  /** Waits until the app's inbox (events, the ledger) and job queue have nothing left to do. */
  idle(): Promise<void>;
}

/** Every double and inbox this file made: closed after each test (a double's git repositories are removed). */
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const double of open.splice(0)) double.close();
});

/** The line's services for one app instance in a test: memory, fast retries, a quick ledger. */
function lineServices(errors: string[], locks: MemoryLocks) {
  const note = (message: string, fields: Record<string, unknown>) => {
    if (/gave up|could not/.test(message)) errors.push(`${message}: ${JSON.stringify(fields)}`);
  };
  return {
    inbox: new MemoryInbox({ retry: { attempts: 4, baseMs: 2, capMs: 20 }, log: note }),
    queue: new MemoryQueue(2, note),
    locks,
    changed: new MemoryChangedArtifacts(),
    ledgerDelayMs: 5,
    handOffCheckMs: 5,
  };
}

export async function createScenario(options: { app?: FactoryAppOptions } = {}): Promise<Scenario> {
  const double = new GitHubDouble();
  open.push(double);
  double.permissions.set("maintainer", "maintain");
  double.permissions.set("reader", "read");
  mountDouble(double);
  const errors: string[] = [];
  const warnings: string[] = [];
  const log = captureLog(errors, warnings);
  const locks = new MemoryLocks();
  const services = lineServices(errors, locks);
  const app = await createTestApp(factoryApp({ ...services, ...options.app }), { log });
  // A timer minutes out (CI's grace period) is not work to wait for.
  const idle = async (line: { inbox: MemoryInbox; queue: MemoryQueue }) => {
    while (line.inbox.pending(5_000) || line.queue.busy) {
      await line.inbox.idle({ horizonMs: 5_000 });
      await line.queue.idle();
    }
  };
  open.push({ close: () => void services.inbox.close({ graceMs: 0 }) });
  const { owner, repo } = double;

  const issueInput = (n: number) => {
    const issue = double.issues.get(n);
    if (!issue) throw new Error(`no issue #${n} in the double`);
    return {
      number: n,
      title: issue.title,
      body: issue.body,
      user: { login: issue.user.login, type: issue.user.type },
      labels: [...issue.labels],
      state: issue.state,
    };
  };

  return {
    double,
    app,
    errors,
    warnings,
    label(n, options = {}) {
      const name = options.label ?? "factory:intake";
      double.addLabel(n, name);
      return issuesLabeled({
        owner,
        repo,
        sender: { login: options.sender ?? "maintainer" },
        issue: issueInput(n),
        label: name,
        ...(options.deliveryId ? { deliveryId: options.deliveryId } : {}),
      });
    },
    edit(n, body, options = {}) {
      const issue = double.issues.get(n);
      if (!issue) throw new Error(`no issue #${n}`);
      const from = issue.body ?? "";
      issue.body = body;
      return issuesEdited({ owner, repo, sender: { login: options.sender ?? issue.user.login }, issue: issueInput(n), changes: { body: { from } } });
    },
    comment(thread, author, body) {
      const comment = double.postComment(thread, double.user(author), body);
      const issue = issueInput(thread);
      const event = issueCommentCreated({
        owner,
        repo,
        sender: { login: author },
        issue: { ...issue, pull_request: double.issues.get(thread)?.pull !== undefined },
        comment: { id: comment.id, body, user: { login: author } },
      });
      return { event, comment };
    },
    async deliver(event) {
      await app.receive(withDefaultBranch(event, double.defaultBranch));
    },
    async secondInstance() {
      const other = lineServices(errors, locks);
      const second = await createTestApp(factoryApp(other), { log });
      return {
        deliver: (event) => second.receive(withDefaultBranch(event, double.defaultBranch)),
        idle: () => idle(other),
      };
    },
    idle: () => idle(services),
  };
}

function withDefaultBranch<E extends EmitterWebhookEvent>(event: E, branch: string): E {
  const repository = (event.payload as { repository?: unknown } | null)?.repository;
  if (typeof repository === "object" && repository !== null) (repository as { default_branch: string }).default_branch = branch;
  return event;
}

/**
 * Registers a fresh scenario before each test (handed to `assign`) and checks after
 * each that the app made no request outside GitHub's contract, none the double
 * could not answer, and logged no error.
 */
export function useScenario(assign: (scenario: Scenario) => void | Promise<void>, options: { app?: FactoryAppOptions } = {}): void {
  let current: Scenario | undefined;
  beforeEach(async () => {
    current = await createScenario(options);
    await assign(current);
  });
  afterEach(() => {
    expect(current?.app.violations).toEqual([]);
    expect(current?.double.unrouted).toEqual([]);
    expect(current?.errors).toEqual([]);
  });
}

/** A pino-compatible logger that keeps error and warning lines, so a test can assert on them. */
function captureLog(into: string[], warnings: string[]) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const logger: any = {
    level: "info",
    child: () => logger,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj: unknown, msg?: string) => warnings.push(`${msg ?? ""} ${JSON.stringify(obj, errorReplacer)}`),
    error: (obj: unknown, msg?: string) => into.push(`${msg ?? ""} ${obj instanceof Error ? obj.message : JSON.stringify(obj, errorReplacer)}`),
    fatal: (obj: unknown, msg?: string) => into.push(`fatal ${msg ?? ""} ${JSON.stringify(obj, errorReplacer)}`),
  };
  return logger;
}

function errorReplacer(_key: string, value: unknown) {
  return value instanceof Error ? { message: value.message, stack: value.stack?.split("\n").slice(0, 4).join(" | ") } : value;
}
