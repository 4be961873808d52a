import { describe, expect, it } from "vitest";
import type { Inbox } from "../../../src/events/inbox.js";
import { decodeBlocks } from "../../../src/state/codec.js";
import { runCli } from "../../support/cli.js";
import { useScenario, VALID_BODY, type Scenario } from "../../support/scenario.js";
import { intakeAndWait, mergeByHand, ScriptedRunner } from "../../support/scripted-line.js";

/**
 * The demand queue: candidates ranked by reactions and labels, shown in the ledger's
 * "Next up" and by `factory queue`; `/factory next` promotes the first (writers
 * only); `intake.autoPromote` keeps that many artifacts in flight.
 */

let s: Scenario;
let inbox: Inbox;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}` }),
  verifyFailure: () => undefined,
});

const CONFIG = (more: Record<string, unknown> = {}) => `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, ...more })}\n`;
const ENV = { GITHUB_TOKEN: "ghp_test_token", FACTORY_STATE_SECRET: "test-state-secret" };

/** Three candidates: two 👍 and a ❤️; a regression that is a bug; one 👍 against three 👎. */
function candidates(): { dark: number; crash: number; emoji: number } {
  const dark = s.double.openIssue("alice", "Dark mode", VALID_BODY, ["factory:candidate"]).number;
  s.double.reactToIssue(dark, "bob", "+1");
  s.double.reactToIssue(dark, "carol", "+1");
  s.double.reactToIssue(dark, "dave", "heart");
  const crash = s.double.openIssue("erin", "Crash on save", VALID_BODY, ["factory:candidate", "bug", "regression"]).number;
  const emoji = s.double.openIssue("frank", "Emoji picker", VALID_BODY, ["factory:candidate"]).number;
  s.double.reactToIssue(emoji, "bob", "+1");
  for (const who of ["carol", "dave", "erin"]) s.double.reactToIssue(emoji, who, "-1");
  return { dark, crash, emoji };
}

async function say(thread: number, who: string, body: string): Promise<void> {
  const { event } = s.comment(thread, who, body);
  await s.deliver(event);
  await s.idle();
}

const bot = (thread: number) => s.double.commentsOn(thread).filter((c) => c.user.type === "Bot").map((c) => c.body);
const ledger = () => [...s.double.issues.values()].find((i) => i.labels.includes("factory:ledger"));

describe("the demand queue", () => {
  useScenario(
    (next) => {
      s = next;
      s.double.permissions.set("reader", "read");
    },
    {
      app: {
        queue: runner,
        onServices: (services) => {
          runner.attach(services.inbox);
          inbox = services.inbox;
        },
      },
    },
  );

  it("ranks three candidates with their reasons; a reader's /factory next is refused; a writer's promotes the first, and the ledger shows the rest", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG());
    const { dark, crash, emoji } = candidates();

    const { lines } = await runCli(["queue", "--repo", "octo-org/widgets"], ENV);
    expect(lines).toEqual([
      `1. #${crash} Crash on save (score 13): labelled \`regression\` (+8); labelled \`bug\` (+5)`,
      `2. #${dark} Dark mode (score 7): 2 👍 (+3 each); 1 other positive reaction (+1 each)`,
      `3. #${emoji} Emoji picker (score -3): 3 👎 (−2 each); 1 👍 (+3 each)`,
    ]);

    await say(emoji, "reader", "/factory next");
    expect(bot(emoji).at(-1)).toMatch(/^Sorry @reader, `\/factory next` changes the artifact, so it needs one of these roles on this repository: admin, maintain, write\./);
    expect(s.double.issues.get(crash)?.labels).not.toContain("factory:intake");

    await say(emoji, "maintainer", "/factory next");
    expect(bot(emoji).at(-1)).toMatch(new RegExp(`^Promoting #${crash} \\(\`Crash on save\`\\) to intake for @maintainer: the top of the demand queue, score 13 \\(labelled \`regression\` \\(\\+8\\); labelled \`bug\` \\(\\+5\\)\\)\\.`));
    expect(s.double.issues.get(crash)?.labels).toContain("factory:intake");
    expect(s.double.pulls().some((p) => p.pull?.head.startsWith(`factory/${crash}-`))).toBe(true);
    // The promoted artifact is the person's request, not the bot's.
    expect(bot(crash).some((b) => b.startsWith("### Software Factory: Crash on save"))).toBe(true);

    const body = ledger()?.body ?? "";
    expect(body).toContain("### Next up");
    expect(body).toContain(`1. #${dark} Dark mode, score 7: 2 👍 (+3 each); 1 other positive reaction (+1 each)`);
    // The two people who wrote /factory next on it count as commenters now.
    expect(body).toContain(`2. #${emoji} Emoji picker, score 1: 3 👎 (−2 each); 2 people besides the author commented (+2 each); 1 👍 (+3 each)`);
    expect(body).not.toContain(`#${crash} Crash on save, score`);
  });

  it("kinds of requests that shipped cleanly rank up, with the evidence; a merged change that was reverted counts against its kind", async () => {
    // Only what this needs: no ledger, notes, lessons or refits at each merge.
    s.double.writeFile(".github/factory.yml", CONFIG({ ledger: { issue: false }, analyst: { runNotes: "off", lessons: false }, learn: { refitAfter: 0 } }));
    for (const title of ["Docs for setup", "Docs for themes", "Docs for plugins"]) {
      const { pr } = await intakeAndWait(s, title, VALID_BODY, ["docs"]);
      await mergeByHand(s, pr);
    }
    // A person reverts the third with GitHub's Revert button.
    s.double.push("main", { "README.md": "# widgets\n" }, 'Revert "Docs for plugins (#6)"');
    const docs = s.double.openIssue("alice", "Docs for the CLI", VALID_BODY, ["factory:candidate", "docs"]).number;
    const { lines } = await runCli(["queue", "--repo", "octo-org/widgets"], ENV);
    expect(lines).toEqual([`1. #${docs} Docs for the CLI (score 1.7): \`docs\` requests the factory finished: 2 of 3 merged without requested changes, 1 blocked, closed or reverted (+1.7)`]);
  });

  it("a candidate's title is shown inert in the reply: no HTML, no mention, nothing that opens a hidden block and hides the reply's record", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG());
    const hostile = "Crash <img src=https://evil.example/x.png> @octo-org/everyone <!-- software-factory ";
    const crash = s.double.openIssue("mallory", hostile, VALID_BODY, ["factory:candidate"]).number;
    const thread = s.double.openIssue("alice", "Question", "What next?").number;
    await say(thread, "maintainer", "/factory next");
    const reply = bot(thread).at(-1) ?? "";
    expect(reply).toContain(`Promoting #${crash} (\`Crash ‹img src=https://evil.example/x.png› @octo-org/everyone ‹!-- software-factory \`) to intake`);
    expect(reply).not.toMatch(/<img|<!-- software-factory\s*\)/);
    expect(s.double.issues.get(crash)?.labels).toContain("factory:intake");
    // The reply's record still reads (a retry of the command finds it answered).
    expect(decodeBlocks(reply).map((b) => b.ok && (b.value as { kind?: string }).kind)).toEqual(["queue.promoted"]);
  });

  it("two /factory next at once, on two threads: each promotes a different candidate, not both the first", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG());
    const { dark, crash } = candidates();
    const one = s.double.openIssue("alice", "Question one", "What next?").number;
    const two = s.double.openIssue("alice", "Question two", "And then?").number;
    const first = s.comment(one, "maintainer", "/factory next").event;
    const second = s.comment(two, "maintainer", "/factory next").event;
    await Promise.all([s.deliver(first), s.deliver(second)]);
    await s.idle();
    const promoted = [...bot(one), ...bot(two)].filter((b) => b.startsWith("Promoting")).map((b) => Number(/^Promoting #(\d+)/.exec(b)?.[1]));
    expect(promoted.sort()).toEqual([crash, dark].sort());
  });

  it("with nothing queued, /factory next says how to queue an issue", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG());
    const issue = s.double.openIssue("alice", "Question", "How do I?").number;
    await say(issue, "maintainer", "/factory next");
    expect(bot(issue).at(-1)).toMatch(/^The demand queue is empty: label an issue `factory:candidate`/);
  });

  it("intake.autoPromote keeps that many artifacts in flight: when one is merged, the top candidate starts", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG({ intake: { autoPromote: 1 } }));
    const first = await intakeAndWait(s, "Already in flight");
    const { dark, crash } = candidates();
    // One in flight: nothing is promoted while it runs.
    await say(first.issue, "maintainer", "/factory status");
    expect(s.double.issues.get(crash)?.labels).not.toContain("factory:intake");

    await mergeByHand(s, first.pr);
    expect(s.double.issues.get(crash)?.labels).toContain("factory:intake");
    expect(s.double.issues.get(dark)?.labels).not.toContain("factory:intake");
    expect(bot(crash).some((b) => b.startsWith("### Software Factory: Crash on save"))).toBe(true);
  });

  it("intake.autoPromote: the promotion's event is refused once (Redis dropped the connection): the refresh is tried again, and the candidate is taken in, not left labelled with nothing to take it in", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG({ intake: { autoPromote: 1 } }));
    const first = await intakeAndWait(s, "Already in flight");
    const { crash } = candidates();
    const push = inbox.push.bind(inbox);
    let refused = 0;
    inbox.push = async (event, options) => {
      if (event.id.startsWith(`promote-${crash}-`) && refused++ === 0) throw new Error("Connection is closed.");
      return push(event, options);
    };
    await mergeByHand(s, first.pr);
    inbox.push = push;
    expect(refused).toBeGreaterThan(1);
    expect(s.double.issues.get(crash)?.labels).toContain("factory:intake");
    expect(bot(crash).some((b) => b.startsWith("### Software Factory: Crash on save"))).toBe(true);
    expect(s.double.pulls().filter((p) => p.pull?.head.startsWith(`factory/${crash}-`))).toHaveLength(1);
  });

  it("intake.autoPromote passes over a candidate without success criteria, however wanted: it would only wait for its author", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG({ intake: { autoPromote: 1 } }));
    const first = await intakeAndWait(s, "Already in flight");
    const vague = s.double.openIssue("alice", "Make it faster", "It is slow.", ["factory:candidate"]).number;
    for (const who of ["bob", "carol", "dave", "erin"]) s.double.reactToIssue(vague, who, "+1");
    const ready = s.double.openIssue("erin", "Export to CSV", VALID_BODY, ["factory:candidate"]).number;
    await mergeByHand(s, first.pr);
    expect(s.double.issues.get(vague)?.labels).not.toContain("factory:intake");
    expect(s.double.issues.get(ready)?.labels).toContain("factory:intake");
    // The ledger still shows it in "Next up": the queue's order is not changed, only what is promoted on its own.
    expect((ledger()?.body ?? "").split("Next up")[1]).toContain(`#${vague}`);
  });
});
