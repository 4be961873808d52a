/**
 * The webhook endpoint of the real server (`npm start`'s, src/serve.ts, in its own
 * process) against senders without the secret: bodies over GitHub's 25 MB limit
 * are refused before they are read, bad ones cost neither memory nor log, and a
 * signed payload of the wrong shape is answered with a reason, never a 5xx.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_BODY_LIMIT } from "../../src/events/webhook-endpoint.js";
import { startProcess, type AppProcess } from "../../src/sandbox/process-line.js";
import { testPrivateKey } from "../support/test-app.js";

const APP_PROCESS = new URL("../../src/sandbox/app-process.ts", import.meta.url).pathname;
const MB = 1024 * 1024;
const secret = randomBytes(20).toString("hex");
/** In every body sent here: a log line with it would be a body in the log. */
const marker = `body-marker-${randomBytes(8).toString("hex")}`;
const lines: string[] = [];
let app: AppProcess;

beforeAll(async () => {
  app = await startProcess(APP_PROCESS, {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    APP_ID: "1",
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: secret,
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
    NODE_ENV: "production",
    FACTORY_SANDBOX: "none",
  });
  let pending = "";
  app.child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    lines.push(...complete);
  });
  app.child.stderr?.on("data", (chunk: Buffer) => lines.push(`(stderr) ${chunk.toString()}`));
});

afterAll(async () => {
  app.child.kill("SIGKILL");
  await app.exited;
});

const sign = (body: Buffer | string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

function headers(event: string, signature: string, delivery = `delivery-${randomBytes(6).toString("hex")}`) {
  return { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery, "x-hub-signature-256": signature };
}

/** A body of `size` bytes with the marker in it (one JSON string). */
function bigBody(size: number): Buffer {
  const body = Buffer.alloc(size, "a");
  body.write(`{"marker":"${marker}`);
  body.write(`"}`, size - 2);
  return body;
}

interface Answer {
  status: number;
  text: string;
  /** The server closed its side with a FIN. */
  ended: boolean;
  /** The code of a reset (`ECONNRESET`, `EPIPE`) the socket met, if it met one. */
  reset: string | undefined;
}

/**
 * A POST on a socket of its own, the request written by hand: nock (set up for
 * every test) would copy each body sent through `http.request`, and here the test
 * says exactly which bytes the server could have read. `answer` resolves once the
 * server has answered and closed the connection.
 */
function open(head: Record<string, string>): { socket: Socket; answer: Promise<Answer> } {
  const socket = connect(app.port, "127.0.0.1");
  const lines = Object.entries({ host: "127.0.0.1", connection: "close", ...head }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`POST /api/github/webhooks HTTP/1.1\r\n${lines.join("")}\r\n`);
  const answer = new Promise<Answer>((resolve, reject) => {
    let received = "";
    let ended = false;
    let reset: string | undefined;
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.on("end", () => (ended = true));
    // Said in the answer (a write after the server's FIN is the test's own doing, not a reset).
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") reset = error.code;
    });
    socket.on("close", () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      if (status) resolve({ status: Number(status), text: received.slice(received.indexOf("\r\n\r\n") + 4), ended, reset });
      else reject(new Error(`no answer: ${JSON.stringify(received.slice(0, 200))}`));
    });
  });
  return { socket, answer };
}

function post(head: Record<string, string>, body: Buffer | string): Promise<Answer> {
  const { socket, answer } = open({ ...head, "content-length": String(Buffer.byteLength(body)) });
  socket.write(body);
  return answer;
}

/** Waits for the app's log lines about one delivery (the line is written before the answer, but reaches us through a pipe). */
async function linesAbout(delivery: string, count = 1): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    const found = lines.filter((line) => line.includes(delivery) && !line.includes('"name":"http"'));
    if (found.length >= count) return found;
    await sleep(20);
  }
  return lines.filter((line) => line.includes(delivery) && !line.includes('"name":"http"'));
}

/** Resident and peak memory of the app process, in MB (Linux). */
function memoryMb(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${app.child.pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

describe("the webhook endpoint, for senders without the secret", () => {
  it("answers 413 to a declared 30 MB body before a byte of it is sent", async () => {
    const head = headers("issues", "sha256=0000");
    // Only the head: the server cannot have read a body that was never sent.
    const answer = await open({ ...head, "content-length": String(30 * MB) }).answer;
    expect(answer.status).toBe(413);
    const [line] = await linesAbout(head["x-github-delivery"]);
    expect(JSON.parse(line ?? "{}")).toMatchObject({ level: 40, delivery: head["x-github-delivery"], event: "issues", status: 413, bytes: 30 * MB });
  });

  it("answers 413 to a chunked body as it passes 25 MB, before the body ends", async () => {
    const head = headers("issues", "sha256=0000");
    const { socket, answer } = open({ ...head, "transfer-encoding": "chunked" });
    let answered = false;
    void answer.finally(() => (answered = true)).catch(() => undefined);
    const chunk = Buffer.concat([Buffer.from(`${MB.toString(16)}\r\n`), bigBody(MB), Buffer.from("\r\n")]);
    // Up to 30 MB, as fast as the server takes them, and never the last chunk: the server cannot have waited for the end.
    for (let sent = 0; !answered && sent < 30 * MB; sent += MB) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), answer.catch(() => undefined)]);
    }
    // A lingering close: a FIN after the answer and the rest read and dropped, never a reset, which can beat the answer to the sender.
    expect(await answer).toMatchObject({ status: 413, ended: true, reset: undefined });
    const [line] = await linesAbout(head["x-github-delivery"]);
    const refused = JSON.parse(line ?? "{}") as { status?: number; bytes?: number };
    expect(refused.status).toBe(413);
    // It stopped reading at the limit: one socket read past it, at most.
    expect(refused.bytes).toBeGreaterThan(WEBHOOK_BODY_LIMIT);
    expect(refused.bytes).toBeLessThan(WEBHOOK_BODY_LIMIT + MB);
  });

  it("does not answer a request sent on after a refused body: that connection is closing", async () => {
    const head = headers("issues", "sha256=0000");
    const next = headers("issues", "sha256=0000");
    const size = WEBHOOK_BODY_LIMIT + MB;
    const { socket, answer } = open({ ...head, "content-length": String(size), connection: "keep-alive" });
    socket.write(bigBody(size));
    const lines = Object.entries({ host: "127.0.0.1", ...next, "content-length": "2" }).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`POST /api/github/webhooks HTTP/1.1\r\n${lines.join("")}\r\n{}`);
    expect(await answer).toMatchObject({ status: 413 });
    expect(await linesAbout(head["x-github-delivery"])).toHaveLength(1);
    // Read and dropped with the rest, never handled: no line about it, no second answer.
    expect(await linesAbout(next["x-github-delivery"])).toEqual([]);
    expect((await answer).text).not.toContain("HTTP/1.1");
  });

  it("refuses 20 badly signed 10 MB bodies in a row with one short line each, and keeps no body", async () => {
    const body = bigBody(10 * MB);
    const before = memoryMb();
    const deliveries: string[] = [];
    for (let i = 0; i < 20; i++) {
      const head = headers("issues", sign("something else"));
      deliveries.push(head["x-github-delivery"]);
      const answer = await post(head, body);
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain(marker);
    }
    const after = memoryMb();
    // Measured, for the record: before the endpoint, 200 MB of bad bodies took the app from 122 MB to 929 MB.
    console.info(`app memory: rss ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MB, peak ${before.peak.toFixed(0)} → ${after.peak.toFixed(0)} MB`);
    expect(after.rss - before.rss).toBeLessThan(200);
    for (const delivery of deliveries) {
      const about = await linesAbout(delivery);
      expect(about).toHaveLength(1);
      expect(JSON.parse(about[0] ?? "{}")).toMatchObject({ delivery, event: "issues", status: 400, bytes: 10 * MB, msg: expect.stringContaining("signature does not match") });
    }
  });

  it("writes no body, no signature and no long line into the app's log", () => {
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((line) => line.length > 2_000).map((line) => line.slice(0, 300))).toEqual([]);
    expect(lines.filter((line) => line.includes(marker) || line.includes("sha256="))).toEqual([]);
    // The access log still says every request, with the signature header redacted.
    expect(lines.some((line) => line.includes('"x-hub-signature-256":"[redacted]"'))).toBe(true);
  });
});

describe("a signed payload of the wrong shape", () => {
  const repository = { name: "r", full_name: "o/r", owner: { login: "o" } };
  const shapes = [
    { event: "issues", payload: { action: "labeled", repository, installation: { id: 1 }, sender: { login: "s" }, label: { name: "factory:intake" } }, missing: "the payload has no issue" },
    { event: "issue_comment", payload: { action: "created", repository, installation: { id: 1 }, sender: { login: "s" }, issue: { number: 3 } }, missing: "the payload has no comment" },
  ];

  for (const { event, payload, missing } of shapes) {
    it(`answers ${event}.${payload.action} without it with 200 and one line saying what is missing`, async () => {
      const body = JSON.stringify(payload);
      const head = headers(event, sign(body));
      const answer = await post(head, body);
      expect(answer.status).toBe(200);
      const about = await linesAbout(head["x-github-delivery"]);
      expect(about).toHaveLength(1);
      expect(JSON.parse(about[0] ?? "{}")).toMatchObject({ level: 40, event: `${event}.${payload.action}`, repository: "o/r", reason: missing });
    });
  }

  it("answers JSON that is not an object with 400 and one line, not with Probot's 500", async () => {
    for (const body of ["null", "1", '"x"', "[]", "{not json"]) {
      const head = headers("issues", sign(body));
      const answer = await post(head, body);
      expect(answer.status).toBe(400);
      expect(await linesAbout(head["x-github-delivery"])).toEqual([expect.stringContaining("the payload is not a JSON object")]);
    }
  });
});
