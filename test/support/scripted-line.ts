import { randomUUID } from "node:crypto";
import type { EmitterWebhookEvent } from "@octokit/webhooks";
import type { DoubleEvent } from "@software-factory/github-double";
import type { CellJob, JobQueue } from "../../src/cells/queue.js";
import type { Inbox } from "../../src/events/inbox.js";
import { lineEvent } from "../../src/events/line-event.js";
import { VALID_BODY, type Scenario } from "./scenario.js";

/** What a scripted build of an artifact does, its `n`th time: the files it commits and what its summary says. */
export interface ScriptedBuild {
  files: Record<string, string>;
  subject: string;
  lastLines?: string[];
  refusedEnv?: string[];
  /** The accepted lessons the build's prompt carried (their ids). */
  lessons?: string[];
}

export interface LineScript {
  build(n: number, issue: number): ScriptedBuild;
  /** The failure the `n`th verify job of an artifact reports, or undefined for a pass. */
  verifyFailure(n: number, issue: number): Record<string, unknown> | undefined;
  /** A job held (never finished: a runner still at work), when this says so. */
  hold?(job: CellJob): boolean;
}

/**
 * The local runner, scripted: a build job commits to the artifact's branch on the
 * double and reports its summary; a verify job reports what the script says. Each
 * result goes to the line as the real worker sends it, a `job.done` event.
 */
export class ScriptedRunner implements JobQueue {
  readonly kind = "memory" as const;
  readonly busy = false;
  private inbox: Inbox | undefined;
  private seen = new Set<string>();
  private builds = new Map<number, number>();
  private verifies = new Map<number, number>();

  constructor(
    private readonly scenario: () => Scenario,
    private readonly script: LineScript,
  ) {}

  /** A fresh app: its inbox, and nothing run yet. */
  attach(inbox: Inbox): void {
    this.inbox = inbox;
    this.cancelled.length = 0;
    this.seen = new Set();
    this.builds = new Map();
    this.verifies = new Map();
  }

  async start(): Promise<void> {}
  /** The jobs the line cancelled, in order. */
  readonly cancelled: string[] = [];

  async cancel(job: string): Promise<void> {
    this.cancelled.push(job);
  }
  async idle(): Promise<void> {}
  async close(): Promise<void> {}

  async add(job: CellJob): Promise<void> {
    // The line hands a running job off again whenever it looks: a queue runs each id once.
    if (this.seen.has(job.id)) return;
    this.seen.add(job.id);
    if (this.script.hold?.(job)) return;
    const result = job.cell === "builder" ? this.build(job) : this.verify(job);
    await this.inbox?.push(
      lineEvent("job.done", {
        installationId: job.installationId,
        owner: job.owner,
        repo: job.repo,
        target: { issue: job.issue },
        id: `${job.id}:done`,
        what: `${job.cell} job ${job.id}`,
        data: { job: job.id, cell: job.cell, ...(job.sha ? { sha: job.sha } : {}), result },
      }),
    );
  }

  private build(job: CellJob): Record<string, unknown> {
    const { double } = this.scenario();
    const n = (this.builds.get(job.issue) ?? 0) + 1;
    this.builds.set(job.issue, n);
    const branch = double.pulls().find((p) => p.pull?.head.startsWith(`factory/${job.issue}-`))?.pull?.head ?? "";
    const build = this.script.build(n, job.issue);
    const sha = double.push(branch, build.files, build.subject, double.bot.login);
    const files = Object.keys(build.files);
    const lines = Object.values(build.files).reduce((sum, text) => sum + text.split("\n").length - 1, 0);
    return {
      outcome: "completed",
      summary: {
        harness: "command",
        runner: "local",
        durationMs: 1200,
        headSha: sha,
        commits: [{ sha, subject: build.subject }],
        files,
        insertions: lines,
        deletions: 0,
        netLines: lines,
        exitCode: 0,
        lastLines: build.lastLines ?? [],
        ...(build.refusedEnv ? { refusedEnv: build.refusedEnv } : {}),
        ...(build.lessons ? { lessons: build.lessons } : {}),
      },
    };
  }

  private verify(job: CellJob): Record<string, unknown> {
    const n = (this.verifies.get(job.issue) ?? 0) + 1;
    this.verifies.set(job.issue, n);
    const failure = this.script.verifyFailure(n, job.issue);
    return { sha: job.sha, evidence: [{ kind: "command", name: "npm test", state: failure ? "failure" : "success", ...(failure ? { failures: [failure] } : {}) }] };
  }
}

/** The webhooks the double sends for a person's act that `wanted` picks, kept for the test to deliver when it says. */
export function webhooksFrom(s: Scenario, act: () => void, wanted: (e: DoubleEvent) => boolean): EmitterWebhookEvent[] {
  const sent: DoubleEvent[] = [];
  s.double.onEvent = (event) => sent.push(event);
  try {
    act();
  } finally {
    s.double.onEvent = () => {};
  }
  return sent.filter(wanted).map((event) => ({ id: randomUUID(), name: event.name, payload: event.payload }) as unknown as EmitterWebhookEvent);
}

/** Webhooks the double sends for a person's review or merge, delivered to the app as GitHub would. */
export async function deliverFromDouble(s: Scenario, act: () => void, wanted: (e: DoubleEvent) => boolean): Promise<void> {
  for (const event of webhooksFrom(s, act, wanted)) await s.deliver(event);
  await s.idle();
}

export const isMergeClosed = (e: DoubleEvent): boolean => e.name === "pull_request" && e.payload.action === "closed";

/** A maintainer merges the artifact's PR; the app hears of it as GitHub would tell it. */
export function mergeByHand(s: Scenario, pr: number): Promise<void> {
  return deliverFromDouble(
    s,
    () => s.double.merge(pr, "maintainer"),
    isMergeClosed,
  );
}

/** An issue opened and labelled for intake; the line runs until it waits. Its number and its PR's. */
export async function intakeAndWait(s: Scenario, title: string, body = VALID_BODY, labels: string[] = []): Promise<{ issue: number; pr: number }> {
  const issue = s.double.openIssue("alice", title, body, labels).number;
  await s.deliver(s.label(issue));
  await s.idle();
  const pr = s.double.pulls().find((p) => p.pull?.head.startsWith(`factory/${issue}-`))?.number ?? 0;
  return { issue, pr };
}
