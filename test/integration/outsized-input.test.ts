/**
 * Outsized and hostile issues, as a careless or hostile user writes them: each is
 * opened within the line's budgets (what does not fit is cut with a note), or
 * refused on the thread once, with nothing left half-made.
 */
import { describe, expect, it } from "vitest";
import { artifactIssue } from "../../src/events/from-webhook.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

let s: Scenario;
useScenario((next) => void (s = next));

const request = (goal: string, criteria: readonly string[]) => ["### Goal", "", goal, "", "### Success criteria", "", ...criteria.map((c) => `- [ ] ${c}`), ""].join("\n");

async function intake(title: string, body: string) {
  const issue = s.double.openIssue("alice", title, body).number;
  await s.deliver(s.label(issue));
  await s.idle();
  const pull = s.double.pulls()[0];
  return { issue, pull, artifact: foldFromDouble(s.double, issue), comments: s.double.commentsOn(issue) };
}

describe("an issue past the line's budgets", () => {
  it("a body at GitHub's maximum with 10,000 criteria: the PR opens with the first 30 and says what was cut", async () => {
    const criteria = Array.from({ length: 10_000 }, (_, i) => `criterion ${i}`);
    const body = request("Make it fast.", criteria).slice(0, 65_536);
    const { pull, artifact, comments } = await intake("Speed up the settings page", body);
    expect(pull?.pull?.draft).toBe(true);
    expect(artifact.criteria).toHaveLength(30);
    expect(artifact.cut?.[0]).toMatch(/^Only the first 30 of \d{4} success criteria are used/);
    expect(pull?.body).toContain("> Only the first 30 of");
    expect(comments[0]?.body).toContain("> Only the first 30 of");
    for (const comment of s.double.comments.values()) expect(comment.body.length).toBeLessThanOrEqual(65_536);
  });

  it("a goal of 11,000 `<`: cut in the record (counted after escaping), shown harmless, the full text left on the issue", async () => {
    const { pull, artifact, comments } = await intake("Escape everything", request("<".repeat(11_000), ["it works"]));
    expect(pull).toBeDefined();
    expect(artifact.goal.length).toBe(1_000);
    expect(artifact.cut).toEqual(["The goal was cut at 1,000 characters (of 11,000); the full text is on the issue."]);
    expect(comments[0]?.body.length).toBeLessThan(65_536);
    // The hidden record still decodes: nothing in the goal closed it early.
    expect(decodeBlocks(comments[0]?.body).every((b) => b.ok)).toBe(true);
    expect(pull?.body).toContain("&lt;&lt;");
  });

  it("NUL and other control characters in the title and body are dropped, and the branch's commit is made", async () => {
    const { pull, artifact } = await intake("Dark\u0000 mode\u0007", VALID_BODY.replace("dark theme", "dark\u0000 theme\u001b"));
    expect(pull?.title).toBe("Dark mode");
    expect(artifact.goal).toContain("dark theme");
    expect(s.double.commitsAhead(artifact.branch ?? "")[0]?.message).toBe("chore(factory): open #1 Dark mode");
  });
});

describe("titles in any script", () => {
  const cases: Array<[string, RegExp]> = [
    ["Тёмная тема для настроек", /^factory\/1-temnaya-tema-dlya-nastroek$/],
    ["设置页面的深色模式", /^factory\/1-[a-z]+(-[a-z]+)*$/],
    ["🚀🚀🚀", /^factory\/1-rocket-rocket-rocket$/],
    ["!!!", /^factory\/1-x[0-9a-f]{7}$/],
  ];
  for (const [title, branch] of cases) {
    it(`"${title}" gets a branch the line finds its artifact from`, async () => {
      const { artifact } = await intake(title, VALID_BODY);
      expect(artifact.branch).toMatch(branch);
      expect(artifactIssue(artifact.branch ?? "")).toBe(1);
    });
  }

  it("a branch from an older version, with no slug, is still found", () => {
    expect(artifactIssue("factory/5")).toBe(5);
    expect(artifactIssue("bots/team/12")).toBe(12);
    expect(artifactIssue("feature/login")).toBeUndefined();
  });
});

describe("a pull request GitHub refuses", () => {
  it("is said once on the issue with GitHub's reason and what to do, and leaves no branch behind", async () => {
    s.double.pullsRefused = "Pull request creation is restricted in this repository.";
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    const labelled = s.label(issue);
    await s.deliver(labelled);
    await s.idle();
    const pull = s.double.pulls()[0];
    expect(pull).toBeUndefined();
    expect([...s.double.refs.keys()].filter((ref) => ref.startsWith("heads/factory/"))).toEqual([]);
    const said = s.double.commentsOn(issue).filter((c) => c.body.includes("Could not handle"));
    expect(said).toHaveLength(1);
    expect(said[0]?.body).toContain("GitHub refused to open the pull request");
    expect(said[0]?.body).toContain("Pull request creation is restricted in this repository.");
    expect(said[0]?.body).toContain("remove and add the `factory:intake` label to try again");
    expect(said[0]?.body).not.toContain("/factory retry");
    // The same delivery again (GitHub redelivers) says nothing more.
    await s.deliver(labelled);
    await s.idle();
    expect(s.double.commentsOn(issue).filter((c) => c.body.includes("Could not handle"))).toHaveLength(1);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatch(/^gave up on the label factory:intake on #1 /);
    s.errors.length = 0;
  });
});
