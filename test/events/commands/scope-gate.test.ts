import { describe, expect, it } from "vitest";
import type { CellJob } from "../../../src/cells/queue.js";
import { decodeBlocks } from "../../../src/state/codec.js";
import { intercept } from "../../support/intercept.js";
import { useScenario, VALID_BODY, type Scenario } from "../../support/scenario.js";
import { intakeAndWait, mergeByHand, ScriptedRunner } from "../../support/scripted-line.js";

/**
 * The scope gate (`gates.scope: true`): after the scout the line waits for a writer's
 * `/factory approve`; `/factory revise <guidance>` sends the scout back; criteria
 * edited after approval ask for approval again. The gate and who passed it are
 * records, shown in the tracking comment and the post-run note.
 */

let s: Scenario;
const jobs: CellJob[] = [];
/** Builds stay running (a harness still at work) while this is set. */
let holdBuilds = false;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}, take ${n}` }),
  verifyFailure: () => undefined,
  hold: (job) => {
    jobs.push(job);
    return holdBuilds && job.cell === "builder";
  },
});

const CONFIG = `${JSON.stringify({ gates: { scope: true }, cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 } })}\n`;

const bot = (thread: number) => s.double.commentsOn(thread).filter((c) => c.user.type === "Bot").map((c) => c.body);
const tracking = (issue: number) => bot(issue).find((b) => b.startsWith("### Software Factory:")) ?? "";
const builds = () => jobs.filter((j) => j.cell === "builder").length;
/** `who` edits the issue to add a criterion (a keyboard shortcut for the toggle); the line runs until it waits. */
async function editCriteria(issue: number, who: string): Promise<void> {
  const edited = VALID_BODY.replace("- [ ] the choice survives a reload", "- [ ] the choice survives a reload\n- [ ] the toggle has a keyboard shortcut");
  await s.deliver(s.edit(issue, edited, { sender: who }));
  await s.idle();
}

const kinds = (thread: number) => bot(thread).flatMap((b) => decodeBlocks(b).flatMap((d) => (d.ok ? [(d.value as { kind: string }).kind] : [])));

async function say(thread: number, who: string, body: string): Promise<void> {
  const { event } = s.comment(thread, who, body);
  await s.deliver(event);
  await s.idle();
}

describe("the scope gate", () => {
  useScenario(
    (next) => {
      s = next;
      jobs.length = 0;
      holdBuilds = false;
      s.double.permissions.set("reader", "read");
    },
    { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } },
  );

  it("holds the build until a writer approves the plan; a reader's approve is refused; approved, the line runs and the note says who approved", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    const memo = bot(pr).find((b) => b.startsWith("### Scout memo")) ?? "";
    expect(memo).toContain("**Plan**");
    expect(memo).toMatch(/- a theme toggle on the settings page: (a new or updated test, run by `[^`]+`|a person checks it: the scout found no test command)/);
    expect(builds()).toBe(0);
    expect(tracking(issue)).toContain("**Next:** a writer: approve the scout's plan with `/factory approve` to start the build, or send the scout back with `/factory revise &lt;guidance&gt;`"); // rendered as <guidance>

    await say(pr, "reader", "/factory approve");
    expect(bot(pr).at(-1)).toMatch(/^Sorry @reader, `\/factory approve` changes the artifact, so it needs one of these roles on this repository: admin, maintain, write\./);
    expect(builds()).toBe(0);

    await say(issue, "maintainer", "/factory approve");
    expect(bot(issue).some((b) => b.startsWith("Plan approved by @maintainer: the build starts."))).toBe(true);
    expect(builds()).toBe(1);
    expect(tracking(issue)).toContain("**Scope:** the plan was approved by @maintainer.");
    // A second approve has nothing to approve.
    await say(issue, "maintainer", "/factory approve");
    expect(bot(issue).at(-1)).toMatch(/^The plan is already approved \(by @maintainer\)\./);

    await mergeByHand(s, pr);
    expect(bot(pr).find((b) => b.startsWith("### Post-run note"))).toContain("The scout's plan was approved by @maintainer before the build (the scope gate).");
  });

  it("criteria edited after approval send the artifact back to approval; approving again builds again", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    await say(pr, "maintainer", "/factory approve");
    expect(builds()).toBe(1);

    // The author without a writer's role: the artifact in flight keeps its criteria.
    await editCriteria(issue, "reader");
    expect(kinds(issue)).not.toContain("artifact.revised");
    expect(tracking(issue)).not.toContain("the toggle has a keyboard shortcut");

    await editCriteria(issue, "maintainer");
    expect(bot(issue).some((b) => b.startsWith("@maintainer edited the goal or criteria after the plan was approved: the line waits for approval again"))).toBe(true);
    expect(kinds(issue)).toContain("artifact.revised");
    expect(tracking(issue)).toContain("the toggle has a keyboard shortcut");
    expect(tracking(issue)).toContain("**Next:** a writer: approve the scout's plan");
    expect(builds()).toBe(1);

    await say(pr, "maintainer", "/factory approve");
    expect(builds()).toBe(2);
  });

  it("criteria edited after approval while the build runs: the revision names the build, which is cancelled, also by the retry after a lost answer to the revision's comment", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    holdBuilds = true;
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    await say(pr, "maintainer", "/factory approve");
    const build = jobs.find((j) => j.cell === "builder");
    expect(build).toBeDefined();
    // GitHub writes the revision's comment and the answer is lost: the event is tried again and finds its record there.
    const lost = intercept(
      s.double,
      (r) => r.method === "POST" && r.path.endsWith(`/issues/${issue}/comments`) && String((r.body as { body?: string }).body ?? "").includes("edited the goal or criteria"),
      (r) => {
        s.double.handle(r);
        return { status: 502, body: { message: "Bad Gateway" } };
      },
    );
    try {
      await editCriteria(issue, "maintainer");
    } finally {
      lost.restore();
    }
    expect(lost.seen).toBe(1);
    expect(kinds(issue).filter((k) => k === "artifact.revised")).toHaveLength(1);
    expect(runner.cancelled).toEqual([build?.id]);
    // The record says which job it called off (the cancel comes after it, so that job's result arrives late and changes nothing).
    const revised = s.double.commentsOn(issue).flatMap((c) => decodeBlocks(c.body)).find((b) => b.ok && (b.value as { kind: string }).kind === "artifact.revised");
    expect(revised?.ok && (revised.value as { data: { cancels?: unknown } }).data.cancels).toEqual({ runner: "local", job: build?.id, stage: "build" });
    expect(tracking(issue)).toContain("**Next:** a writer: approve the scout's plan");
  });

  it("a stopped artifact keeps its goal and criteria through a reader's edit; a writer's edit is taken", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    await say(pr, "maintainer", "/factory stop");
    expect(tracking(issue)).toMatch(/stopped/i);

    await editCriteria(issue, "reader");
    expect(kinds(issue)).not.toContain("artifact.revised");
    expect(tracking(issue)).not.toContain("the toggle has a keyboard shortcut");

    await editCriteria(issue, "maintainer");
    expect(kinds(issue)).toContain("artifact.revised");
    expect(tracking(issue)).toContain("the toggle has a keyboard shortcut");
  });

  it("/factory revise sends the scout back with the guidance; its new plan waits for approval; revise without text says what to write", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    const memosBefore = bot(pr).filter((b) => b.startsWith("### Scout memo")).length;
    await say(pr, "maintainer", "/factory revise");
    expect(bot(pr).at(-1)).toMatch(/^Say what to change: `\/factory revise <guidance>`/);

    await say(pr, "maintainer", "/factory revise the setting lives in src/settings.js, not in the theme");
    expect(bot(pr).some((b) => b.startsWith("Sending the scout back with @maintainer's guidance"))).toBe(true);
    expect(bot(pr).filter((b) => b.startsWith("### Scout memo")).length).toBe(memosBefore + 1);
    expect(kinds(pr)).toContain("scope.revise");
    expect(builds()).toBe(0);
    expect(tracking(issue)).toContain("**Next:** a writer: approve the scout's plan");

    await say(pr, "maintainer", "/factory approve");
    expect(builds()).toBe(1);
  });

  it("/factory revise takes its guidance whole: past 300 characters, and on the lines below it up to the next command", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { pr } = await intakeAndWait(s, "Dark mode");
    const long = `the setting lives in src/settings.js, not in the theme; ${"keep the old names exported for one release, ".repeat(7)}and say so in the changelog`;
    expect(long.length).toBeGreaterThan(300);
    await say(pr, "maintainer", ["Thanks for the plan.", "", `/factory revise ${long}`, "Also: leave docs/ alone.", "/factory status"].join("\n"));
    const guidance = bot(pr).flatMap((b) => decodeBlocks(b).flatMap((d) => (d.ok && (d.value as { kind: string }).kind === "scope.revise" ? [(d.value as { data: { guidance: string } }).data.guidance] : [])));
    expect(guidance).toEqual([`${long}\nAlso: leave docs/ alone.`]);
    // The command after it ran too, and is not part of the guidance.
    expect(bot(pr).some((b) => b.includes("**Factory status** for #"))).toBe(true);
  });

  it("without the gate, approve says the gate is off and the build starts after the scout on its own", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG.replace('"scope":true', '"scope":false'));
    const { pr } = await intakeAndWait(s, "Dark mode");
    expect(builds()).toBe(1);
    await say(pr, "maintainer", "/factory approve");
    expect(bot(pr).at(-1)).toMatch(/^There is no plan to approve: the scope gate is off/);
  });
});
