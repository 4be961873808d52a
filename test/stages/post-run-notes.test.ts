import { describe, expect, it } from "vitest";
import { LESSON_STATS } from "../../src/stages/learn/lessons.js";
import { intercept } from "../support/intercept.js";
import { useScenario, type Scenario } from "../support/scenario.js";
import { intakeAndWait, isMergeClosed, mergeByHand, ScriptedRunner, webhooksFrom } from "../support/scripted-line.js";

/**
 * The post-run note and the lesson stats go to the default branch in one commit, read
 * and written at one commit of it: merges finishing together each build on the
 * other's commit, so no note is refused and no run's count of a lesson is lost; the
 * refit they reach together is proposed once.
 */

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}`, lessons: ["theme-tests"] }),
  verifyFailure: () => undefined,
});

const CONFIG = `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, analyst: { runNotes: "commit" }, learn: { refitAfter: 2 } })}\n`;

describe("post-run notes of merges that finish together", () => {
  useScenario(
    (next) => {
      s = next;
    },
    { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } },
  );

  it("three PRs merged at once: three notes on the default branch, the lesson they all used credited three times, and the refit proposed once", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    s.double.writeFile(LESSON_STATS, `${JSON.stringify({ "theme-tests": { alpha: 2, beta: 1, updatedAt: new Date().toISOString() } }, null, 2)}\n`);
    const artifacts = [];
    for (const title of ["Dark mode", "Export to CSV", "Search box"]) artifacts.push(await intakeAndWait(s, title));
    const closed = artifacts.flatMap(({ pr }) => webhooksFrom(s, () => s.double.merge(pr), isMergeClosed));
    await Promise.all(closed.map((event) => s.deliver(event)));
    await s.idle();

    const main = s.double.git.refSha("heads/main") as string;
    const notes = s.double.git.run(["ls-tree", "--name-only", `${main}:.factory/runs`]).split("\n").filter((f) => f.endsWith(".json"));
    expect(notes).toHaveLength(3);
    const stats = JSON.parse(s.double.git.readFile(main, LESSON_STATS) ?? "{}") as Record<string, { alpha: number; beta: number }>;
    // Two before, and one credit per clean run (the decay over these seconds is far below 0.01).
    expect(stats["theme-tests"]?.alpha).toBeCloseTo(5, 2);
    expect(stats["theme-tests"]?.beta).toBeCloseTo(1, 2);
    // Two of them reached learn.refitAfter (2 merged), however their notes interleaved: one refit proposal.
    const proposals = [...s.double.issues.values()].filter((i) => i.labels.includes("factory:learn"));
    expect(proposals.map((i) => i.title)).toEqual(["Refit the scout: 2 artifacts merged since it started, on default weights"]);
    for (const { pr } of artifacts) {
      const note = s.double.commentsOn(pr).find((c) => c.body.startsWith("### Post-run note: merged"))?.body ?? "";
      expect(note).toContain("committed to `main`");
      expect(note).not.toContain("Could not write");
    }
  });

  it("a default branch that keeps moving past every try: the event is tried again from a fresh read, and the note is committed once", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const { pr } = await intakeAndWait(s, "Dark mode");
    // Four ref updates of main are refused as GitHub refuses one that lost a race: more than one try of the event allows.
    const refused = intercept(
      s.double,
      (r) => r.method === "PATCH" && /\/git\/refs\/heads(\/|%2F)main$/.test(r.path),
      () => ({ status: 422, body: { message: "Update is not a fast forward", documentation_url: "https://docs.github.com/rest/git/refs#update-a-reference" } }),
      4,
    );
    try {
      await mergeByHand(s, pr);
    } finally {
      refused.restore();
    }
    expect(refused.seen).toBe(4);
    const main = s.double.git.refSha("heads/main") as string;
    expect(s.double.git.run(["ls-tree", "--name-only", `${main}:.factory/runs`]).split("\n").filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const notes = s.double.commentsOn(pr).filter((c) => c.body.startsWith("### Post-run note: merged"));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toContain("committed to `main`");
  });

  it("a protected default branch refuses the direct commit: the note and the lesson stats go by pull request instead, and the note says so", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    s.double.writeFile(LESSON_STATS, `${JSON.stringify({ "theme-tests": { alpha: 2, beta: 1, updatedAt: new Date().toISOString() } }, null, 2)}\n`);
    // main requires CI, which runs on PRs: the PR's head passes it, the app's own commit on top of the merge never has it.
    s.double.protection.set("main", ["ci/test"]);
    s.double.ciChecks = ["ci/test"];
    s.double.ci = { registerAfterMs: 0, finish: { conclusion: "success", afterMs: 0 } };
    const before = s.double.git.refSha("heads/main");
    const { pr } = await intakeAndWait(s, "Dark mode");
    await mergeByHand(s, pr);
    const main = s.double.git.refSha("heads/main") as string;
    expect(s.double.git.run(["log", "--format=%s", `${before}..${main}`]).split("\n")).not.toContain("chore(factory): post-run note for #1");
    const notePull = s.double.pulls().find((p) => p.title === "chore(factory): post-run note for #1");
    expect(notePull?.state).toBe("open");
    const noteBranch = notePull?.pull?.head ?? "";
    const onBranch = s.double.git.refSha(`heads/${noteBranch}`) as string;
    expect(s.double.git.run(["ls-tree", "--name-only", `${onBranch}:.factory/runs`]).split("\n").filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const note = s.double.commentsOn(pr).find((c) => c.body.startsWith("### Post-run note: merged"))?.body ?? "";
    expect(note).toContain(`in PR #${notePull?.number} (\`main\` refused a direct commit: Protected branch update failed for refs/heads/main.`);
    expect(note).toContain(`(credited in \`${LESSON_STATS}\`, in PR #${notePull?.number})`);
    expect(note).not.toContain("Could not write");
  });
});
