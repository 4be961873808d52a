import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { factoryApp } from "../../src/index.js";
import { MemoryInbox } from "../../src/events/inbox.js";
import { GitHubDouble } from "@software-factory/github-double";
import { mountDouble } from "../support/github-nock.js";
import { issuesLabeled } from "../support/payloads.js";
import { silentLogger, testPrivateKey } from "../support/test-app.js";

/** Probot's own HTTP entry point, on loopback: what GitHub really talks to. */
let server: Server;
let url: string;
let double: GitHubDouble;
let inbox: MemoryInbox;

beforeEach(async () => {
  double = new GitHubDouble();
  mountDouble(double);
  inbox = new MemoryInbox();
  const probot = new Probot({
    appId: 1,
    privateKey: testPrivateKey(),
    secret: "test-secret",
    log: silentLogger(),
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  const middleware = await createNodeMiddleware(factoryApp({ inbox, ledgerDelayMs: 1 }), { probot });
  server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterEach(async () => {
  await inbox.close({ graceMs: 1_000 });
  double.close();
  await new Promise((resolve) => server.close(resolve));
});

function post(body: string, signature: string | undefined) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": "3f1f2b10-0000-4000-8000-000000000001",
      ...(signature ? { "x-hub-signature-256": signature } : {}),
    },
    body,
  });
}

const sign = (body: string, secret: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("webhook signatures", () => {
  const issue = () => double.openIssue("alice", "Add dark mode", "### Success criteria\n- works");
  const body = () => {
    const { payload } = issuesLabeled({
      owner: double.owner,
      repo: double.repo,
      sender: { login: "maintainer" },
      issue: { number: issue().number, title: "Add dark mode", body: "### Success criteria\n- works", user: { login: "alice" } },
      label: "factory:intake",
    });
    payload.repository.default_branch = double.defaultBranch;
    return JSON.stringify(payload);
  };

  it("rejects a delivery signed with another secret, and does nothing", async () => {
    const payload = body();
    const response = await post(payload, sign(payload, "not-the-secret"));
    expect(response.status).toBe(400);
    expect(double.counts.size).toBe(0);
  });

  it("rejects a delivery with no signature", async () => {
    const response = await post(body(), undefined);
    expect(response.status).toBe(400);
    expect(double.counts.size).toBe(0);
  });

  it("accepts a correctly signed delivery and handles it", async () => {
    const payload = body();
    const response = await post(payload, sign(payload, "test-secret"));
    expect(response.status).toBe(200);
    await inbox.idle();
    expect(double.pulls()).toHaveLength(1);
  });
});
