/**
 * When GitHub keeps failing: a transient failure is tried again with backoff, a
 * bounded number of times, then the artifact says it is waiting and why; a
 * permanent one is reported once and not tried again. Neither loops.
 */
import { describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

let sb: Sandbox;
useSandbox((next) => void (sb = next));

const botSaid = (thread: number, heading: string) => sb.double.commentsOn(thread).filter((c) => c.user.type === "Bot" && c.body.startsWith(heading));
const tracking = (issue: number) => sb.double.commentsOn(issue).find((c) => c.user.type === "Bot" && c.body.includes("software-factory:tracking"))?.body ?? "";

describe("GitHub failing", () => {
  it("an outage of one API: the event is tried a bounded number of times, the artifact says it waits and why, and /factory retry picks it up", async () => {
    // Every read of a tree fails (the scout's first read): the label event cannot finish.
    sb.injectFaults({ rate: 1, kinds: ["5xx"], only: /^GET \/repos\/[^/]+\/[^/]+\/git\/trees\// });
    const issue = sb.openIssue("alice", "Add dark mode", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;

    // Six tries of the event, each with Octokit's own three retries of the read.
    expect(sb.server.injected.filter((f) => f.startsWith("5xx GET") && f.includes("/git/trees/"))).toHaveLength(6 * 4);
    const [waiting, ...more] = botSaid(pr, "### Waiting on GitHub");
    expect(more).toEqual([]);
    expect(waiting?.body).toMatch(/Handling the label factory:intake on #1 failed 6 times \(GitHub answered 502 to GET \/api\/v3\/repos\/octo-org\/widgets\/git\/trees\/[0-9a-f]{40}/);
    expect(tracking(issue)).toContain("waiting: the label factory:intake on #1 failed 6 times");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "scout", status: "active" });
    expect(sb.errors).toEqual([expect.stringMatching(/^gave up on the label factory:intake on #1/)]);
    sb.errors.length = 0;

    // GitHub is back: a person's retry runs the scout, once.
    sb.injectFaults(undefined);
    sb.comment(pr, "maintainer", "/factory retry");
    await sb.idle();
    expect(botSaid(pr, "### Scout memo")).toHaveLength(1);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "active" });
    expect(tracking(issue)).not.toContain("waiting:");
  });

  it("a permanent answer (404) is reported once on the artifact and not tried again", async () => {
    sb.injectFaults({ rate: 1, kinds: ["404"], only: /^GET \/repos\/[^/]+\/[^/]+\/pulls\/\d+$/ });
    const issue = sb.openIssue("alice", "Add dark mode", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    sb.injectFaults(undefined);
    const pr = sb.double.pulls()[0]?.number ?? 0;

    expect(sb.server.injected.filter((f) => f.startsWith("404 GET"))).toHaveLength(1);
    const [report, ...more] = botSaid(pr, "### Could not handle the label factory:intake on #1");
    expect(more).toEqual([]);
    expect(report?.body).toContain("GitHub answered 404");
    expect(report?.body).toContain("`/factory retry` runs the current stage again");
    expect(tracking(issue)).toContain("could not be handled");
    expect(sb.errors).toEqual([expect.stringMatching(/^gave up on the label factory:intake on #1/)]);
    sb.errors.length = 0;
  });
});
