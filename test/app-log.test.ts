import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhooks } from "@octokit/webhooks";
import { describe, expect, it } from "vitest";
import { appLog } from "../src/app-log.js";

const marker = "payload-marker-0123456789";

/** What a promise is rejected with (the test fails if it is not). */
const rejection = (promise: Promise<unknown>): Promise<AggregateError> =>
  promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error as AggregateError,
  );

/** The app's log as JSON lines, written where the test reads them. */
async function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const log = await appLog({ LOG_FORMAT: "json", LOG_LEVEL: "debug" }, destination);
  // Lines pass through Probot's formatter (a stream) on their way.
  const written = async (count: number) => {
    for (let i = 0; i < 50 && lines.length < count; i++) await sleep(5);
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { log, lines, written };
}

describe("the app's log", () => {
  it("says a delivery an error carries by its id and name, never its payload or signature (Probot's error handler and middleware log these)", async () => {
    const webhooks = new Webhooks({ secret: "the-secret" });
    const bad = await rejection(webhooks.verifyAndReceive({ id: "d-1", name: "issues", payload: JSON.stringify({ marker }), signature: "sha256=0000" }));
    webhooks.on("issues", () => {
      throw new Error("a handler failed");
    });
    const failed = await rejection(webhooks.receive({ id: "d-2", name: "issues", payload: { marker } as never }));
    const { log, lines, written } = await capture();

    // As Probot's `getErrorHandler` logs each error of the AggregateError, and its middleware the AggregateError itself.
    log.child({ name: "event", id: "d-1" }).error(bad.errors[0] as Error);
    log.error(bad);
    log.error(failed);
    log.debug({ event: { id: "d-3", name: "issues", payload: { marker } } }, "Webhook received");
    const entries = await written(4);

    expect(lines).toHaveLength(4);
    expect(lines.filter((line) => line.includes(marker) || line.includes("sha256="))).toEqual([]);
    expect(entries[0]).toMatchObject({ err: { message: expect.stringContaining("signature does not match"), event: { id: "d-1", name: "issues" } } });
    expect(entries[1]).toMatchObject({ err: { type: "AggregateError", event: { event: { id: "d-1", name: "issues" } } } });
    expect(entries[2]).toMatchObject({ err: { message: "a handler failed", aggregateErrors: [{ message: "a handler failed", event: { id: "d-2", name: "issues" } }] } });
    expect(entries[3]).toMatchObject({ event: { id: "d-3", name: "issues" }, msg: "Webhook received" });
  });

  it("keeps what is not a delivery, and redacts the signature in a request's headers", async () => {
    const { log, written } = await capture();
    log.warn({ event: "issues.labeled", delivery: "d-4" }, "a line about an event");
    log.child({ req: { method: "POST", url: "/api/github/webhooks", headers: { "x-hub-signature-256": "sha256=abc", "x-github-event": "issues" } } }).info("POST /api/github/webhooks 400");
    const [about, access] = await written(2);

    expect(about).toMatchObject({ event: "issues.labeled", delivery: "d-4" });
    expect(access).toMatchObject({ req: { headers: { "x-hub-signature-256": "[redacted]", "x-github-event": "issues" } } });
  });
});
