import { afterEach, beforeEach, expect } from "vitest";
import { ProbotOctokit } from "probot";
import { GitHubDouble, type DoubleEvent } from "../src/index.js";
import { SandboxServer } from "../src/index.js";
import { checkWebhook } from "../src/index.js";

/**
 * The GitHub double over HTTP without the app: a real Octokit (Probot's, as the
 * app builds it) talks to it with an installation token the double issued. Every
 * webhook it emits is kept, in order, and checked against GitHub's webhook
 * schemas; after each test, a request off the contract, an answer off it, an
 * unrouted request or a payload off its schema fails the test.
 */
export interface DoubleHarness {
  double: GitHubDouble;
  server: SandboxServer;
  octokit: InstanceType<typeof ProbotOctokit>;
  token: string;
  events: DoubleEvent[];
  /** `name.action` of every webhook since the last `take()`, in order, and forgets them. */
  take(): string[];
  /** The payload of the last `name.action` webhook. */
  last(name: string): Record<string, unknown>;
}

export function useDouble(assign: (harness: DoubleHarness) => void, files: Record<string, string> = { "README.md": "# widgets\n" }): void {
  let current: { harness: DoubleHarness; webhookProblems: string[] } | undefined;
  beforeEach(async () => {
    const double = new GitHubDouble({ files });
    const server = await SandboxServer.start(double);
    const events: DoubleEvent[] = [];
    const webhookProblems: string[] = [];
    double.onEvent = (event) => {
      events.push(event);
      webhookProblems.push(...checkWebhook(event.name, event.payload));
    };
    const response = await fetch(`${server.apiUrl}/app/installations/1/access_tokens`, { method: "POST", headers: { authorization: "Bearer a.jwt.token" } });
    const { token } = (await response.json()) as { token: string };
    const octokit = new ProbotOctokit({ auth: { token }, baseUrl: server.apiUrl, retry: { enabled: false }, throttle: { enabled: false } });
    let seen = 0;
    const key = (e: DoubleEvent) => `${e.name}${typeof e.payload.action === "string" ? `.${e.payload.action}` : ""}`;
    const harness: DoubleHarness = {
      double,
      server,
      octokit,
      token,
      events,
      take() {
        const fresh = events.slice(seen).map(key);
        seen = events.length;
        return fresh;
      },
      last(name) {
        const found = events.findLast((e) => key(e) === name);
        if (!found) throw new Error(`no ${name} webhook among ${events.map(key).join(", ")}`);
        return found.payload;
      },
    };
    current = { harness, webhookProblems };
    assign(harness);
  });
  afterEach(async () => {
    const now = current;
    current = undefined;
    if (!now) return;
    const { harness, webhookProblems } = now;
    await harness.server.close();
    harness.double.close();
    expect({
      requests: harness.server.violations,
      answers: harness.server.responseViolations,
      unrouted: harness.double.unrouted,
      webhooks: [...new Set(webhookProblems)],
    }).toEqual({ requests: [], answers: [], unrouted: [], webhooks: [] });
  });
}

/** The HTTP status of a failed Octokit request, and GitHub's message. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string; errors?: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; response?: { data?: { message?: string; errors?: unknown } } };
    return { status: e.status ?? 0, message: e.response?.data?.message ?? "", errors: e.response?.data?.errors };
  }
  throw new Error("the request succeeded");
}
