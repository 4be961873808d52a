import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../../src/config/schema.js";
import type { ListedIssue } from "../../../src/github/repo-port.js";
import { mergedSinceFit, proposeRefitWhenDue, refitBody, refitTitle, type RefitPort } from "../../../src/stages/learn/refit.js";
import { repositoryLockKey } from "../../../src/events/line-event.js";
import { LeaseLost, MemoryLocks } from "../../../src/events/locks.js";
import type { GitHubStore } from "../../../src/github/repo-port.js";
import { refitStep } from "../../../src/stages/analyst/run-analyst.js";
import { useScenario, type Scenario } from "../../support/scenario.js";
import { intakeAndWait, mergeByHand, ScriptedRunner } from "../../support/scripted-line.js";

/** A repository's default branch as the refit reads it: files, and the issues the app opened. */
function repoWith(files: Record<string, string>): RefitPort & { issues: ListedIssue[] } {
  const issues: ListedIssue[] = [];
  return {
    fullName: "acme/widgets",
    issues,
    branchHead: async () => ({ sha: "head", treeSha: "tree" }),
    tree: async () => ({ files: Object.keys(files).map((path) => ({ path, size: 1, sha: path })), truncated: false }),
    readFile: async (path: string) => files[path],
    listIssuesWithLabel: async () => issues,
    ensureLabel: async () => {},
    createIssue: async (input: { title: string; body: string; labels: string[] }) => {
      const number = 100 + issues.length;
      issues.push({ number, title: input.title, state: "open", authorLogin: "software-factory[bot]", authorType: "Bot", labels: input.labels, createdAt: "", updatedAt: "", body: input.body, nodeId: "", isPull: false });
      return { number, nodeId: "" };
    },
  };
}

const note = (outcome: "merged" | "closed") => JSON.stringify({ v: 1, artifact: "acme/widgets#1", title: "t", changedFiles: [], metrics: { outcome } });
const fitted = (at: string) => JSON.stringify({ version: 1, weights: {}, fitted: { at, commit: "abc", fitCases: 80, heldOutCases: 40, heldOutBefore: 0.5, heldOutAfter: 0.6, margin: 0.02 } });
const config = (refitAfter: number) => ({ ...DEFAULT_CONFIG, learn: { refitAfter } });

describe("the scout's refit, counted from the post-run notes", () => {
  it("counts merged notes dated on or after the fit; closed ones and unreadable ones do not count", async () => {
    const port = repoWith({
      ".factory/scout.json": fitted("2026-10-01T12:00:00Z"),
      ".factory/runs/2026-09-30-old.json": note("merged"),
      ".factory/runs/2026-10-01-same-day.json": note("merged"),
      ".factory/runs/2026-10-05-closed.json": note("closed"),
      ".factory/runs/2026-10-06-later.json": note("merged"),
      ".factory/runs/2026-10-07-broken.json": "{",
      "src/app.ts": "x",
    });
    expect(await mergedSinceFit(port, "main")).toEqual({ merged: 2, fittedOn: "2026-10-01", atLeast: false });
    // Never fitted: every merged note counts.
    expect(await mergedSinceFit(repoWith({ ".factory/runs/2026-09-30-a.json": note("merged"), ".factory/runs/2026-10-01-b.json": note("merged") }), "main")).toEqual({ merged: 2, atLeast: false });
  });

  it("two merges reaching the same refit at once: each proposes it unless they take turns (the analyst holds the repository's learn lock)", async () => {
    const notes = Object.fromEntries([1, 2].map((d) => [`.factory/runs/2026-11-0${d}-a.json`, note("merged")]));
    // GitHub takes its time: a listing and an issue's creation each wait a moment, as over the network.
    const slow = (): RefitPort & { issues: ListedIssue[] } => {
      const port = repoWith(notes);
      const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 5));
      const { listIssuesWithLabel, createIssue } = port;
      return { ...port, listIssuesWithLabel: async (...args) => later([...(await listIssuesWithLabel(...args))]), createIssue: async (input) => later(await createIssue(input)) };
    };
    const together = slow();
    await Promise.all([proposeRefitWhenDue(together, config(2), "main"), proposeRefitWhenDue(together, config(2), "main")]);
    expect(together.issues).toHaveLength(2);

    const locks = new MemoryLocks();
    const turns = slow();
    const results = await Promise.all([1, 2].map(() => locks.run(repositoryLockKey("acme", "widgets", "learn"), (lease) => proposeRefitWhenDue(turns, config(2), "main", () => lease.check()))));
    expect(turns.issues).toHaveLength(1);
    expect(results.map((r) => r?.proposal?.created)).toEqual([true, false]);
  });

  it("after a merge, GitHub's refusal of the proposal is said in the note, but a lost lock is thrown (the event is tried again)", async () => {
    const notes = Object.fromEntries([1, 2].map((d) => [`.factory/runs/2026-11-0${d}-a.json`, note("merged")]));
    const store = (port: RefitPort) => ({ port }) as unknown as GitHubStore;
    const refused = repoWith(notes);
    refused.createIssue = async () => {
      throw Object.assign(new Error("Resource not accessible by integration"), { status: 403, response: { status: 403, headers: {}, data: {} } });
    };
    expect(await refitStep(store(refused), config(2), "main", async () => {})).toBe("the scout's refit could not be checked (Resource not accessible by integration)");
    const lost = repoWith(notes);
    await expect(refitStep(store(lost), config(2), "main", async () => Promise.reject(new LeaseLost("acme/widgets#learn")))).rejects.toBeInstanceOf(LeaseLost);
    expect(lost.issues).toEqual([]);
  });

  it("proposes once per multiple of learn.refitAfter: the same title is the same proposal, the next multiple a new one; 0 turns it off", async () => {
    const notes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`.factory/runs/2026-11-${String(i + 1).padStart(2, "0")}-a.json`, note("merged")]));
    const port = repoWith(notes(1));
    expect(await proposeRefitWhenDue(port, config(2), "main")).toEqual({ count: { merged: 1, atLeast: false } });
    expect(port.issues).toEqual([]);

    const two = repoWith(notes(2));
    const first = await proposeRefitWhenDue(two, config(2), "main");
    expect(first?.proposal).toEqual({ issue: 100, created: true });
    expect(two.issues[0]?.title).toBe("Refit the scout: 2 artifacts merged since it started, on default weights");
    expect(two.issues[0]?.labels).toEqual(["factory:learn"]);
    // Three merged: the proposal for two is still the one.
    const three = repoWith(notes(3));
    three.issues.push(...two.issues);
    expect((await proposeRefitWhenDue(three, config(2), "main"))?.proposal).toEqual({ issue: 100, created: false });
    // Four: the next multiple.
    const four = repoWith(notes(4));
    four.issues.push(...two.issues);
    expect((await proposeRefitWhenDue(four, config(2), "main"))?.proposal).toEqual({ issue: 101, created: true });
    // A person's issue with the same title is not the app's proposal.
    const spoofed = repoWith(notes(2));
    spoofed.issues.push({ ...(two.issues[0] as ListedIssue), number: 7, authorLogin: "mallory", authorType: "User" });
    expect((await proposeRefitWhenDue(spoofed, config(2), "main"))?.proposal?.created).toBe(true);

    expect(await proposeRefitWhenDue(repoWith(notes(5)), config(0), "main")).toBeUndefined();
  });

  it("names the multiple reached, the fit day, and says when the count is a lower bound", () => {
    expect(refitTitle({ merged: 23, fittedOn: "2026-10-01", atLeast: false }, 10)).toBe("Refit the scout: 20 artifacts merged since its weights were fitted (2026-10-01)");
    expect(refitBody({ merged: 250, atLeast: true }, 10, "acme/widgets")).toMatch(/^At least 250 artifacts were merged since the factory started on this repository/);
    expect(refitBody({ merged: 10, atLeast: false }, 10, "acme/widgets")).toContain("git clone https://github.com/acme/widgets.git && cd widgets");
  });
});

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}` }),
  verifyFailure: () => undefined,
});

describe("the learn stage after a merge, on the line", () => {
  useScenario((next) => void (s = next), { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } });

  it("the post-run note counts toward the refit, the second merge proposes it, and the tracking comment lists what was learned", async () => {
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, learn: { refitAfter: 2 } })}\n`);
    const postRunNote = (pr: number) => s.double.commentsOn(pr).find((c) => c.body.startsWith("### Post-run note"))?.body ?? "";
    const first = await intakeAndWait(s, "Feature one");
    await mergeByHand(s, first.pr);
    expect(postRunNote(first.pr)).toContain("Learn: 1 of 2 merged artifacts toward the scout's next refit.");

    const second = await intakeAndWait(s, "Feature two");
    await mergeByHand(s, second.pr);
    const proposal = [...s.double.issues.values()].find((i) => i.labels.includes("factory:learn"));
    expect(proposal?.title).toBe("Refit the scout: 2 artifacts merged since it started, on default weights");
    expect(proposal?.user.type).toBe("Bot");
    expect(proposal?.body).toContain("GITHUB_TOKEN=… npx factory learn scout --dir . --repo octo-org/widgets --pr");
    expect(postRunNote(second.pr)).toContain(`Learn: 2 artifacts merged since the scout's weights were set: a refit is proposed in #${proposal?.number}.`);
    const tracking = s.double.commentsOn(second.issue).find((c) => c.body.startsWith("### Software Factory:"))?.body ?? "";
    expect(tracking).toContain("**Learned:**");
    expect(tracking).toContain(`- 2 artifacts merged since the scout's weights were set: a refit is proposed in #${proposal?.number}`);
    expect(tracking).toMatch(/- the post-run note `\.factory\/runs\/\d{4}-\d{2}-\d{2}-feature-two\.json` is where the next scout starts from/);
  });

  it("with the learn stage off, a merge counts nothing toward a refit and proposes none", async () => {
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, learn: { refitAfter: 1 }, stages: { learn: { enabled: false } } })}\n`);
    const { pr } = await intakeAndWait(s, "Feature off");
    await mergeByHand(s, pr);
    const note = s.double.commentsOn(pr).find((c) => c.body.startsWith("### Post-run note"))?.body ?? "";
    expect(note).toContain("### Post-run note: merged");
    expect(note).not.toContain("Learn:");
    expect([...s.double.issues.values()].filter((i) => i.labels.includes("factory:learn"))).toEqual([]);
  });
});
