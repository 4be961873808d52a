/**
 * An event whose handling stopped part-way (its process died, or a write failed)
 * is handled again from a fresh read, and finishes what the first try began. A
 * crash is not a counted attempt (BullMQ puts the event back as it was), so the
 * second try is attempt 1 too: finishing must not depend on the attempt number.
 */
import { describe, expect, it } from "vitest";
import type { DeadEventHandler, EventHandler, Inbox } from "../../src/events/inbox.js";
import type { LineEvent } from "../../src/events/line-event.js";
import type { DoubleRequest } from "@software-factory/github-double";
import { createScenario, VALID_BODY } from "../support/scenario.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { stateKey } from "../../src/state/sign.js";

/** An inbox that holds events for the test to hand to the line, with the attempt numbers it chooses. */
class HeldInbox implements Inbox {
  readonly kind = "memory" as const;
  readonly events: LineEvent[] = [];
  handle: EventHandler | undefined;
  async start(handle: EventHandler, _onDead: DeadEventHandler): Promise<void> {
    this.handle = handle;
  }
  async push(event: LineEvent): Promise<void> {
    this.events.push(event);
  }
  get busy(): boolean {
    return false;
  }
  async idle(): Promise<void> {}
  async stop(): Promise<void> {}
  async close(): Promise<void> {}
}

describe("an event handled again after it stopped part-way", () => {
  it("intake that wrote its record and died before the scout: the next try (attempt 1 again) runs the scout and the views, once", async () => {
    const inbox = new HeldInbox();
    const s = await createScenario({ app: { inbox } });
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    const [event] = inbox.events.filter((e) => e.kind === "intake");
    if (!event || !inbox.handle) throw new Error("the label became no event");

    // The first try dies when it reaches the labels, after the tracking comment with the artifact.opened record.
    const handle = s.double.handle.bind(s.double);
    s.double.handle = (request: DoubleRequest) => {
      if (request.method === "POST" && /\/issues\/\d+\/labels$/.test(request.path)) throw new Error("the process died here");
      return handle(request);
    };
    await expect(inbox.handle(event, 1)).rejects.toThrow();
    expect(s.double.pulls()).toHaveLength(1);
    expect(foldFromDouble(s.double, issue, stateKey())).toMatchObject({ stage: "scout", status: "active" });
    s.double.handle = handle;

    await inbox.handle(event, 1);
    const pr = s.double.pulls()[0]?.number ?? 0;
    expect(s.double.commentsOn(pr).filter((c) => c.body.startsWith("### Scout memo"))).toHaveLength(1);
    expect(s.double.commentsOn(issue).filter((c) => c.user.type === "Bot")).toHaveLength(1);
    expect(s.double.issues.get(issue)?.labels).toEqual(["factory:intake", "factory:stage/build"]);
    expect(foldFromDouble(s.double, issue, stateKey())).toMatchObject({ stage: "build", status: "active" });

    // A third try finds everything done and writes nothing.
    const writes = s.double.writes;
    await inbox.handle(event, 1);
    expect(s.double.writes).toBe(writes);
    // The first try's error reached the inbox, not the log.
    s.errors.length = 0;
  });
});
