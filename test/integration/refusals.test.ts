import { describe, expect, it } from "vitest";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";
import { routeKey } from "../support/test-app.js";

/**
 * Refused commands are cheap: anyone who can comment can send them, and each write
 * spends the installation's secondary rate limit. A reaction each, and one refusal
 * comment per person per artifact per hour, decided from the signed records.
 */

const HOUR = 60 * 60 * 1000;
const REACTION = "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions";
const COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";

let s: Scenario;
let issue: number;
let pr: number;
/** The app's clock runs this far ahead of the system's: a test moves it past the hour. */
let ahead = 0;

useScenario(
  async (next) => {
    s = next;
    ahead = 0;
    issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    pr = s.double.pulls()[0]?.number ?? 0;
  },
  { app: { now: () => new Date(Date.now() + ahead) } },
);

const botComments = (n: number) => s.double.commentsOn(n).filter((c) => c.user.type === "Bot");

async function command(thread: number, author: string, body: string) {
  const { event, comment } = s.comment(thread, author, body);
  await s.deliver(event);
  await s.idle();
  return { event, comment };
}

/** The writes (anything but a read) the app makes while `run` runs, counted per route. */
async function writesDuring(run: () => Promise<void>): Promise<Record<string, number>> {
  const before = s.app.requests.length;
  await run();
  const counts: Record<string, number> = {};
  for (const request of s.app.requests.slice(before)) {
    if (request.method === "GET" || request.method === "HEAD") continue;
    const route = routeKey(request);
    counts[route] = (counts[route] ?? 0) + 1;
  }
  return counts;
}

const reactionsOn = (comment: number) => s.double.comments.get(comment)?.reactions.map((r) => r.content);

describe("refusals cost little", () => {
  it("24 refused commands from a reader within an hour make 24 reactions and 1 comment", async () => {
    const comments: number[] = [];
    const writes = await writesDuring(async () => {
      for (let i = 0; i < 24; i++) {
        const body = ["/factory stop", "/factory retry", "/factory build", "/factory frobnicate"][i % 4] ?? "";
        // Both threads of the artifact share one budget.
        const { comment } = await command(i % 2 === 0 ? issue : pr, "reader", body);
        comments.push(comment.id);
      }
    });
    expect(writes).toEqual({ [REACTION]: 24, [COMMENT]: 1 });
    const refusals = [...botComments(issue), ...botComments(pr)].filter((c) => c.body.includes("@reader"));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.body).toMatch(/^Sorry @reader, `\/factory stop` changes the artifact/);
    expect(refusals[0]?.body).toContain("get a 👎 instead of a reply");
    // No 👀 besides: a refused command is not going to be answered.
    for (const id of comments) expect(reactionsOn(id)).toEqual(["-1"]);
  });

  it("an unknown command from someone without a role spends the same budget", async () => {
    await command(issue, "reader", "/factory frobnicate");
    expect(botComments(issue).at(-1)?.body).toMatch(/^`\/factory frobnicate` is not a command I know/);
    const writes = await writesDuring(async () => {
      await command(issue, "reader", "/factory stop");
      await command(issue, "reader", "/factory nonsense");
    });
    expect(writes).toEqual({ [REACTION]: 2 });
  });

  it("allows a new refusal comment once the hour has passed", async () => {
    await command(issue, "reader", "/factory stop");
    await command(issue, "reader", "/factory stop");
    ahead = HOUR - 60_000;
    expect(await writesDuring(() => command(issue, "reader", "/factory stop").then(() => undefined))).toEqual({ [REACTION]: 1 });
    ahead = HOUR + 60_000;
    expect(await writesDuring(() => command(issue, "reader", "/factory stop").then(() => undefined))).toEqual({ [REACTION]: 1, [COMMENT]: 1 });
    // The new comment starts a new hour, measured from its own record.
    expect(await writesDuring(() => command(issue, "reader", "/factory build").then(() => undefined))).toEqual({ [REACTION]: 1 });
    expect(botComments(issue).filter((c) => c.body.startsWith("Sorry @reader"))).toHaveLength(2);
  });

  it("gives each person their own one comment, and each thread without an artifact its own", async () => {
    await command(issue, "reader", "/factory stop");
    await command(issue, "reader", "/factory stop");
    const writes = await writesDuring(async () => {
      await command(issue, "stranger", "/factory stop");
      await command(issue, "stranger", "/factory retry");
    });
    expect(writes).toEqual({ [REACTION]: 2, [COMMENT]: 1 });
    expect(botComments(issue).at(-1)?.body).toMatch(/^Sorry @stranger/);

    const other = s.double.openIssue("bob", "Unrelated", "text").number;
    await command(other, "reader", "/factory stop");
    await command(other, "reader", "/factory stop");
    expect(botComments(other).map((c) => c.body)).toEqual([expect.stringMatching(/^Sorry @reader/)]);
  });

  it("answers every command of someone with the role", async () => {
    const comments: number[] = [];
    for (let i = 0; i < 24; i++) {
      const { comment } = await command(issue, "maintainer", i % 2 === 0 ? "/factory frobnicate" : "/factory status");
      comments.push(comment.id);
    }
    const replies = botComments(issue).filter((c) => /is not a command I know|\| Status \|/.test(c.body));
    expect(replies).toHaveLength(24);
    expect(replies.some((c) => c.body.includes("👎"))).toBe(false);
    for (const id of comments) expect(reactionsOn(id)).toEqual(["eyes"]);
  });

  it("answers help and status to anyone, with 👀 and no budget spent", async () => {
    await command(issue, "reader", "/factory stop");
    const { comment } = await command(issue, "reader", "/factory status");
    expect(botComments(issue).at(-1)?.body).toMatch(/\| Status \| active \|/);
    expect(reactionsOn(comment.id)).toEqual(["eyes"]);
  });

  it("is idempotent when a reaction-only refusal is delivered again", async () => {
    await command(issue, "reader", "/factory stop");
    const { event, comment } = await command(issue, "reader", "/factory stop");
    const count = s.double.comments.size;
    // A new delivery id: the inbox does not know it, so the handler decides again from the records.
    const writes = await writesDuring(async () => {
      await s.deliver({ ...event, id: "redelivered" });
      await s.idle();
    });
    expect(writes).toEqual({ [REACTION]: 1 });
    expect(s.double.comments.size).toBe(count);
    expect(reactionsOn(comment.id)).toEqual(["-1"]);
  });
});
