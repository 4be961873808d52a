import { describe, expect, it } from "vitest";
import { refitBody, refitTitle } from "../../../src/stages/learn/refit.js";
import { useScenario, type Scenario } from "../../support/scenario.js";
import { deliverFromDouble, intakeAndWait, mergeByHand, ScriptedRunner } from "../../support/scripted-line.js";

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}` }),
  verifyFailure: () => undefined,
});

const config = (learn: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, learn, ...more })}\n`;

const postRunNote = (pr: number) => s.double.commentsOn(pr).find((c) => c.body.startsWith("### Post-run note"))?.body ?? "";
const tracking = (issue: number) => s.double.commentsOn(issue).find((c) => c.body.startsWith("### Software Factory:"))?.body ?? "";
const proposals = () => [...s.double.issues.values()].filter((i) => i.pull === undefined && i.labels.includes("factory:learn"));

async function mergeOne(title: string): Promise<{ issue: number; pr: number }> {
  const made = await intakeAndWait(s, title);
  await mergeByHand(s, made.pr);
  return made;
}

describe("the learn stage after a merge: the scout's refit, proposed every learn.refitAfter merged artifacts", () => {
  useScenario((next) => void (s = next), { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } });

  it("counts toward the refit, proposes it once at N and again at 2N, and shows it in the note and the tracking comment", async () => {
    s.double.writeFile(".github/factory.yml", config({ refitAfter: 2 }));
    const first = await mergeOne("Feature one");
    expect(postRunNote(first.pr)).toContain("Learn: 1 of 2 merged artifacts toward the scout's next refit.");
    expect(proposals()).toEqual([]);

    const second = await mergeOne("Feature two");
    const [proposal] = proposals();
    expect(proposal?.title).toBe("Refit the scout: 2 artifacts merged since it started, on default weights");
    expect(proposal?.user.type).toBe("Bot");
    expect(proposal?.body).toContain("GITHUB_TOKEN=… npx factory learn scout --dir . --repo octo-org/widgets --pr");
    expect(postRunNote(second.pr)).toContain(`Learn: 2 artifacts merged since the scout's weights were set: a refit is proposed in #${proposal?.number}.`);
    // The tracking comment, once the line is done: the learn stage's items.
    const view = tracking(second.issue);
    expect(view).toContain("**Learned:**");
    expect(view).toContain(`- 2 artifacts merged since the scout's weights were set: a refit is proposed in #${proposal?.number}`);
    expect(view).toMatch(/- the post-run note `\.factory\/runs\/\d{4}-\d{2}-\d{2}-feature-two\.json` is where the next scout starts from/);

    // The third finds the same proposal; the fourth makes the next one.
    const third = await mergeOne("Feature three");
    expect(postRunNote(third.pr)).toContain(`a refit is proposed in #${proposal?.number}.`);
    expect(proposals()).toHaveLength(1);
    await mergeOne("Feature four");
    expect(proposals().map((i) => i.title)).toEqual(["Refit the scout: 2 artifacts merged since it started, on default weights", "Refit the scout: 4 artifacts merged since it started, on default weights"]);
  });

  it("counts only what was merged after the weights were fitted; a closed PR does not count; off with refitAfter 0 or the learn stage disabled", async () => {
    s.double.writeFile(".github/factory.yml", config({ refitAfter: 1 }));
    s.double.writeFile(".factory/scout.json", `${JSON.stringify({ version: 1, weights: {}, fitted: { at: "2999-01-01T00:00:00Z", commit: "abc", fitCases: 80, heldOutCases: 40, heldOutBefore: 0.5, heldOutAfter: 0.6, margin: 0.02 } })}\n`);
    const merged = await mergeOne("Merged after a fit dated later");
    expect(postRunNote(merged.pr)).toContain("Learn: 0 of 1 merged artifacts toward the scout's next refit.");
    s.double.writeFile(".factory/scout.json", `${JSON.stringify({ version: 1, weights: {}, fitted: { at: "2000-01-01T00:00:00Z", commit: "abc", fitCases: 80, heldOutCases: 40, heldOutBefore: 0.5, heldOutAfter: 0.6, margin: 0.02 } })}\n`);
    // Closed without merging: its note is written, it is not counted, and nothing is proposed by it.
    const closed = await intakeAndWait(s, "Closed unmerged");
    await deliverFromDouble(
      s,
      () => s.double.setState(s.double.issues.get(closed.pr) as never, "closed", s.double.user("maintainer")),
      (e) => e.name === "pull_request" && e.payload.action === "closed",
    );
    expect(postRunNote(closed.pr)).not.toContain("Learn:");
    expect(proposals()).toEqual([]);
    const next = await mergeOne("Merged after an old fit");
    expect(proposals().map((i) => i.title)).toEqual(["Refit the scout: 2 artifacts merged since its weights were fitted (2000-01-01)"]);
    expect(postRunNote(next.pr)).toContain("2 artifacts merged since the scout's weights were fitted (2000-01-01): a refit is proposed");

    s.double.writeFile(".github/factory.yml", config({ refitAfter: 0 }));
    expect(postRunNote((await mergeOne("No refits")).pr)).not.toContain("Learn:");
    s.double.writeFile(".github/factory.yml", config({ refitAfter: 1 }, { stages: { learn: { enabled: false } } }));
    expect(postRunNote((await mergeOne("Learn stage off")).pr)).not.toContain("Learn:");
    expect(proposals()).toHaveLength(1);
  });
});

describe("the refit proposal's words", () => {
  it("names the multiple reached, the fit day, and says when the count is a lower bound", () => {
    expect(refitTitle({ merged: 23, fittedOn: "2026-10-01", atLeast: false }, 10)).toBe("Refit the scout: 20 artifacts merged since its weights were fitted (2026-10-01)");
    expect(refitBody({ merged: 250, atLeast: true }, 10, "acme/widgets")).toMatch(/^At least 250 artifacts were merged since the factory started on this repository/);
    expect(refitBody({ merged: 10, atLeast: false }, 10, "acme/widgets")).toContain("git clone https://github.com/acme/widgets.git && cd widgets");
  });
});
