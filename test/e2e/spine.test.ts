import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { encodeBlock } from "../../src/state/codec.js";
import { makeRecord } from "../../src/state/carriers.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

let sb: Sandbox;
useSandbox((next) => {
  sb = next;
});

const fold = (issue: number) => foldFromDouble(sb.double, issue, sandboxKey(sb));
const botComments = (n: number) => sb.double.commentsOn(n).filter((c) => c.user.type === "Bot");
const lastReply = (n: number) => botComments(n).at(-1)?.body ?? "";

async function intake(body = VALID_BODY): Promise<{ issue: number; pr: number }> {
  const issue = sb.openIssue("alice", "Add dark mode", body).number;
  sb.label(issue, "factory:intake");
  await sb.idle();
  return { issue, pr: sb.double.pulls()[0]?.number ?? 0 };
}

async function say(thread: number, author: string, body: string): Promise<string> {
  sb.comment(thread, author, body);
  await sb.idle();
  return lastReply(thread);
}

function snapshot() {
  return {
    comments: [...sb.double.comments.values()].map((c) => [c.id, c.issue, c.body]),
    refs: [...sb.double.refs.entries()],
    issues: [...sb.double.issues.values()].map((i) => [i.number, i.state, [...i.labels].sort(), i.body]),
  };
}

describe("the spine, end to end over HTTP", () => {
  it("labelling a valid issue opens the artifact (one tracking comment, one branch with one empty commit, one draft PR) and the scout posts its memo", async () => {
    const { issue, pr } = await intake();
    expect(botComments(issue)).toHaveLength(1);
    expect(sb.double.pulls()).toHaveLength(1);
    expect(sb.double.issues.get(pr)?.pull).toMatchObject({ head: "factory/1-add-dark-mode", draft: true });
    const ahead = sb.double.commitsAhead("factory/1-add-dark-mode");
    expect(ahead).toHaveLength(1);
    expect(ahead[0]?.tree).toBe(sb.double.git.commit(sb.double.refs.get("heads/main") ?? "").tree);
    const memo = botComments(pr);
    expect(memo).toHaveLength(1);
    expect(memo[0]?.body).toContain("`src/theme.js`");
    expect(memo[0]?.body).toContain("`test/theme.test.js` (covers `src/theme.js`)");
    expect(memo[0]?.body).toContain("focused: `node --test test/theme.test.js`");
    expect(fold(issue)).toMatchObject({ stage: "build", status: "active", pr, criteria: ["`theme({ dark: true })` returns `dark`", "the test suite passes"] });
    // The app's own comment and labels came back as webhooks, and changed nothing.
    expect(sb.sender.deliveries.some((d) => d.name === "issue_comment" && (d.payload.sender as { type: string }).type === "Bot")).toBe(true);
    expect(sb.sender.deliveries.every((d) => d.status === 200)).toBe(true);
  });

  it("redelivering every delivery of the scenario changes nothing", async () => {
    await intake();
    const before = snapshot();
    for (const delivery of [...sb.sender.deliveries]) sb.redeliver(delivery.id);
    await sb.idle();
    expect(snapshot()).toEqual(before);
  });

  it("without criteria: says what is missing, then starts when the issue is edited", async () => {
    const { issue } = await intake("Dark mode please.");
    expect(lastReply(issue)).toContain("Waiting for success criteria");
    expect(sb.double.issues.get(issue)?.labels).toContain("factory:needs-criteria");
    sb.editIssue(issue, VALID_BODY);
    await sb.idle();
    expect(sb.double.pulls()).toHaveLength(1);
    expect(botComments(issue)).toHaveLength(1);
    expect(fold(issue).stage).toBe("build");
  });

  it("refuses an unauthorised /factory stop and stops on an authorised one", async () => {
    const { issue, pr } = await intake();
    expect(await say(issue, "reader", "/factory stop")).toMatch(/^Sorry @reader/);
    expect(fold(issue).status).toBe("active");
    expect(await say(pr, "maintainer", "/factory stop")).toMatch(/^Stopped by @maintainer/);
    expect(fold(issue).status).toBe("stopped");
    expect(sb.double.issues.get(issue)?.labels).toContain("factory:stopped");
  });

  it("ignores a user-pasted block, a block with a bad signature, and a bot block edited by a user", async () => {
    const { issue } = await intake();
    const stop = (key: Buffer) =>
      encodeBlock(makeRecord("command.stop", { by: "mallory" }, { artifact: `octo-org/widgets#${issue}`, key: `forged-${key.length}`, seq: 50 }, key));
    sb.comment(issue, "mallory", stop(sandboxKey(sb)));
    sb.double.postComment(issue, sb.double.bot, stop(Buffer.from("wrong key")));
    await sb.idle();
    expect(await say(issue, "maintainer", "/factory status")).toMatch(/\| Status \| active \|/);

    await say(issue, "maintainer", "/factory stop");
    const reply = botComments(issue).find((c) => c.body.startsWith("Stopped by"));
    sb.double.editComment(reply?.id ?? 0, (reply?.body ?? "").replace('"by":"maintainer"', '"by":"mallory"'), sb.double.user("maintainer"));
    await sb.idle();
    expect(fold(issue).status).toBe("active");
  });

  it("a malformed .github/factory.yml gets one actionable comment and no other writes", async () => {
    sb.double.writeFile(".github/factory.yml", "commands:\n  allowedRoles: superuser\n");
    sb.double.counts.clear();
    const { issue } = await intake();
    const writes = [...sb.double.counts.entries()].filter(([route]) => !route.startsWith("GET") && !route.includes("access_tokens"));
    expect(writes).toEqual([["POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 1]]);
    expect(lastReply(issue)).toContain("`commands.allowedRoles` must be a list");
  });
});
