import { describe, expect, it } from "vitest";
import { encodeBlock } from "../../src/state/codec.js";
import { makeRecord } from "../../src/state/carriers.js";
import { stateKey } from "../../src/state/sign.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

let s: Scenario;
let issue: number;
let pr: number;

useScenario(async (next) => {
  s = next;
  issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
  await s.deliver(s.label(issue));
  await s.idle();
  pr = s.double.pulls()[0]?.number ?? 0;
});

const botComments = (n: number) => s.double.commentsOn(n).filter((c) => c.user.type === "Bot");
const lastBotComment = (n: number) => botComments(n).at(-1)?.body ?? "";

async function command(thread: number, author: string, body: string) {
  const { event, comment } = s.comment(thread, author, body);
  await s.deliver(event);
  await s.idle();
  return { event, comment };
}

async function status(thread = issue): Promise<string> {
  await command(thread, "maintainer", "/factory status");
  return lastBotComment(thread);
}

describe("slash commands", () => {
  it("refuses an unauthorised /factory stop politely and changes nothing", async () => {
    const labelsBefore = [...(s.double.issues.get(issue)?.labels ?? [])];
    const { comment } = await command(issue, "reader", "/factory stop");
    expect(lastBotComment(issue)).toMatch(/^Sorry @reader, `\/factory stop` changes the artifact/);
    expect(s.double.comments.get(comment.id)?.reactions).toEqual([{ content: "-1", user: "software-factory[bot]" }]);
    expect(s.double.issues.get(issue)?.labels).toEqual(labelsBefore);
    expect(await status()).toMatch(/\| Status \| active \|/);
  });

  it("refuses someone who is not a collaborator at all", async () => {
    await command(issue, "stranger", "/factory stop");
    expect(lastBotComment(issue)).toMatch(/^Sorry @stranger/);
    expect(await status()).toMatch(/\| Status \| active \|/);
  });

  it("stops the artifact on an authorised /factory stop, and retry resumes it", async () => {
    await command(issue, "maintainer", "/factory stop");
    expect(lastBotComment(issue)).toMatch(/^Stopped by @maintainer at the \*\*build\*\* stage/);
    expect(s.double.issues.get(issue)?.labels).toContain("factory:stopped");
    const tracking = s.double.commentsOn(issue)[0]?.body ?? "";
    expect(tracking).toContain("**build** (stopped)");
    expect(await status()).toMatch(/\| Status \| stopped \|/);

    await command(issue, "maintainer", "/factory retry");
    expect(s.double.issues.get(issue)?.labels).not.toContain("factory:stopped");
    expect(await status()).toMatch(/\| Status \| active \|/);
  });

  it("a command's labels are synced from the issue as it is, not as the webhook saw it: a label the line put on since is not left behind", async () => {
    const { event } = s.comment(issue, "maintainer", "/factory stop");
    // Between the comment and its handling, the line marked the issue (here by hand, as a failing build would).
    s.double.addLabel(issue, "factory:blocked");
    await s.deliver(event);
    await s.idle();
    expect(s.double.issues.get(issue)?.labels).toContain("factory:stopped");
    expect(s.double.issues.get(issue)?.labels).not.toContain("factory:blocked");
  });

  it("accepts commands on the artifact's pull request", async () => {
    await command(pr, "maintainer", "/factory stop");
    expect(lastBotComment(pr)).toMatch(/^Stopped by @maintainer/);
    expect(s.double.issues.get(issue)?.labels).toContain("factory:stopped");
    expect(await status(pr)).toMatch(/\| Status \| stopped \|/);
  });

  it("retry moves to the named stage and rejects an unknown one", async () => {
    await command(issue, "maintainer", "/factory retry build");
    expect(s.double.issues.get(issue)?.labels).toContain("factory:stage/build");
    expect(s.double.issues.get(issue)?.labels).not.toContain("factory:stage/scout");
    await command(issue, "maintainer", "/factory retry deploy");
    expect(lastBotComment(issue)).toMatch(/`deploy` is not a stage that can be retried/);
    expect(await status()).toMatch(/\| Stage \| build \|/);
  });

  it("answers help with every command, and an unknown command with a pointer to help", async () => {
    await command(issue, "reader", "/factory help");
    const help = lastBotComment(issue);
    for (const usage of ["/factory help", "/factory status", "/factory stop", "/factory retry [stage]"]) expect(help).toContain(usage);
    await command(issue, "reader", "/factory frobnicate");
    expect(lastBotComment(issue)).toMatch(/`\/factory frobnicate` is not a command I know/);
  });

  it("answers a redelivered command once", async () => {
    const { event } = await command(issue, "maintainer", "/factory stop");
    const count = s.double.comments.size;
    await s.deliver(event);
    await s.idle();
    expect(s.double.comments.size).toBe(count);
  });

  it("ignores commands in code blocks and quotes, and comments from bots", async () => {
    const count = s.double.comments.size;
    await command(issue, "maintainer", "> /factory stop\n```\n/factory stop\n```");
    await command(issue, "dependabot[bot]", "/factory stop");
    expect(s.double.comments.size).toBe(count + 2);
    expect(botComments(issue)).toHaveLength(1);
  });

  it("says a mutating command on an issue without an artifact has nothing to act on", async () => {
    const other = s.double.openIssue("bob", "Unrelated", "text").number;
    await command(other, "maintainer", "/factory stop");
    expect(lastBotComment(other)).toMatch(/has no factory artifact yet/);
  });
});

describe("hidden blocks that do not count", () => {
  const forgedStop = (key: Buffer) =>
    encodeBlock(makeRecord("command.stop", { by: "mallory" }, { artifact: `octo-org/widgets#${1}`, key: "forged", seq: 99 }, key));

  it("ignores a validly signed block pasted by a user", async () => {
    // Copy the app's own record out of the tracking comment into a user comment.
    const tracking = s.double.commentsOn(issue)[0]?.body ?? "";
    const stolen = /<!-- software-factory .+? -->/s.exec(tracking)?.[0] ?? "";
    s.double.postComment(issue, s.double.user("mallory"), `${forgedStop(stateKey())}\n${stolen}`);
    expect(await status()).toMatch(/\| Status \| active \|/);
    expect(s.warnings.some((w) => w.includes("not the app"))).toBe(true);
  });

  it("ignores a bot-authored block whose signature does not check", async () => {
    s.double.postComment(issue, s.double.bot, forgedStop(Buffer.from("not-the-key")));
    expect(await status()).toMatch(/\| Status \| active \|/);
    expect(s.warnings.some((w) => w.includes("signature does not match"))).toBe(true);
  });

  it("ignores the app's own block once a user has edited it", async () => {
    await command(issue, "maintainer", "/factory stop");
    const reply = botComments(issue).at(-1);
    if (!reply) throw new Error("no reply");
    // A user with write access edits the app's comment, flipping the recorded actor.
    s.double.editComment(reply.id, reply.body.replace('"by":"maintainer"', '"by":"mallory"'));
    expect(reply.body).toContain('"by":"mallory"');
    expect(await status()).toMatch(/\| Status \| active \|/);
  });
});

describe("/factory status and the sandbox", () => {
  it("names the sandbox jobs run in", async () => {
    expect(await status()).toContain("| Sandbox | `bwrap` |");
  });

});
