import { describe, expect, it } from "vitest";
import { configSchema } from "../../../src/config/schema.js";
import { PermanentFailure } from "../../../src/line/failures.js";
import { ArtifactStore } from "../../../src/state/artifact-store.js";
import { runIntake, type IntakeRequest } from "../../../src/stages/intake/run-intake.js";
import { MemoryRepo } from "../../support/memory-repo.js";

// The intake stage against an in-memory repository (the ports it asks for): no HTTP, no double.
const KEY = Buffer.from("intake-unit-test-key-0123456789abcdef");
const config = configSchema.parse({});

function setUp() {
  const repo = new MemoryRepo();
  const warnings: string[] = [];
  const store = new ArtifactStore(repo, { botLogin: "software-factory[bot]", key: KEY, log: { warn: (_f, m) => warnings.push(m) }, now: () => new Date("2026-11-29T12:00:00Z") });
  const log = { info: () => {}, warn: () => {} } as never;
  return { repo, store, log, warnings };
}

function request(body: string, key = "delivery-1", title = "Dark mode"): IntakeRequest {
  return { issue: { number: 7, title, body, author: "octocat", labels: ["factory:intake"] }, requestedBy: "octocat", defaultBranch: "main", key };
}

const VALID = "### Goal\n\nUsers want dark mode.\n\n### Success criteria\n\n- a toggle in settings\n- the choice persists";

describe("runIntake (in-memory ports)", () => {
  it("opens the artifact: a branch from the default branch with one empty commit, a draft PR, the tracking comment with a signed record, and the stage label", async () => {
    const { repo, store, log } = setUp();
    const { outcome, loaded } = await runIntake(store, config, request(VALID), log);
    expect(outcome).toBe("opened");
    expect(repo.methods().filter((m) => m !== "listIssueComments" && m !== "ensureLabel")).toEqual(["artifactBranches", "branchHead", "createEmptyCommit", "createBranch", "openDraftPull", "createComment", "addLabels"]);
    const [pull] = repo.pulls;
    expect(pull).toMatchObject({ headRef: "factory/7-dark-mode", base: "main", title: "Dark mode", draft: true });
    expect(pull!.body).toContain("a toggle in settings");
    expect(repo.branches.get("factory/7-dark-mode")?.sha).toBe("commit-1");
    // The record is read back from the thread as the next event would: it counts, and the fold says what was opened.
    const reread = await store.load(7);
    expect(reread.artifact).toMatchObject({ pr: pull!.number, branch: "factory/7-dark-mode", criteria: ["a toggle in settings", "the choice persists"] });
    expect(reread.tracking?.id).toBe(loaded.tracking?.id);
    expect(repo.labels.get(7)).toEqual(["factory:stage/scout"]);
  });

  it("a redelivery of the same event changes nothing", async () => {
    const { repo, store, log } = setUp();
    await runIntake(store, config, request(VALID), log);
    const writes = repo.calls.length;
    const again = await runIntake(store, config, request(VALID), log);
    expect(again.outcome).toBe("duplicate");
    // It reads the issue's thread and the PR's (the records name it), and writes nothing.
    expect(repo.calls.slice(writes)).toEqual([
      { method: "listIssueComments", args: [7] },
      { method: "listIssueComments", args: [repo.pulls[0]!.number] },
    ]);
  });

  it("a second delivery after the artifact is open (another key) finds it open and opens nothing", async () => {
    const { repo, store, log } = setUp();
    await runIntake(store, config, request(VALID), log);
    const again = await runIntake(store, config, request(VALID, "delivery-2"), log);
    expect(again.outcome).toBe("already-open");
    expect(repo.pulls).toHaveLength(1);
  });

  it("a try whose PR was opened but whose record was never written adopts the branch and the PR instead of making new ones", async () => {
    const { repo, store, log } = setUp();
    repo.branches.set("factory/7-dark-mode", { sha: "earlier", treeSha: "base-tree" });
    await repo.openDraftPull({ title: "Dark mode", head: "factory/7-dark-mode", base: "main", body: "earlier try" });
    const { outcome } = await runIntake(store, config, request(VALID), log);
    expect(outcome).toBe("opened");
    expect(repo.pulls).toHaveLength(1);
    expect((await store.load(7)).artifact.pr).toBe(repo.pulls[0]!.number);
  });

  it("the same, with the title edited between the tries: the earlier try's branch and PR are adopted, not a second pair named from the new title", async () => {
    const { repo, store, log } = setUp();
    repo.branches.set("factory/7-dark-mode", { sha: "earlier", treeSha: "base-tree" });
    repo.branches.set("factory/70-other-issue", { sha: "other", treeSha: "base-tree" });
    await repo.openDraftPull({ title: "Dark mode", head: "factory/7-dark-mode", base: "main", body: "earlier try" });
    await repo.openDraftPull({ title: "Other", head: "factory/70-other-issue", base: "main", body: "another artifact" });
    const { outcome } = await runIntake(store, config, request(VALID, "delivery-2", "Dark theme for the editor"), log);
    expect(outcome).toBe("opened");
    expect(repo.pulls.map((p) => p.headRef)).toEqual(["factory/7-dark-mode", "factory/70-other-issue"]);
    expect([...repo.branches.keys()].filter((b) => b.startsWith("factory/7-"))).toEqual(["factory/7-dark-mode"]);
    expect((await store.load(7)).artifact).toMatchObject({ pr: repo.pulls[0]!.number, branch: "factory/7-dark-mode" });
  });

  it("without success criteria: one tracking comment saying what is missing, the needs-criteria label, and no branch", async () => {
    const { repo, store, log } = setUp();
    const { outcome } = await runIntake(store, config, request("We need dark mode."), log);
    expect(outcome).toBe("needs-criteria");
    expect(repo.branches.has("factory/7-dark-mode")).toBe(false);
    const comments = repo.comments.get(7) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toMatch(/Success criteria/);
    expect(repo.labels.get(7)).toEqual([config.labels.needsCriteria]);
    expect((await store.load(7)).artifact.status).toBe("needs-criteria");
  });

  it("a PR GitHub refuses for good: the branch it made is deleted, and the failure is permanent and names what GitHub said", async () => {
    const { repo, store, log } = setUp();
    repo.refusePull = Object.assign(new Error("Validation Failed: pull requests are disabled"), { status: 422 });
    const attempt = runIntake(store, config, request(VALID), log);
    await expect(attempt).rejects.toBeInstanceOf(PermanentFailure);
    await expect(attempt).rejects.toThrow(/pull requests are disabled.*factory:intake/s);
    expect(repo.branches.has("factory/7-dark-mode")).toBe(false);
    expect(repo.comments.get(7) ?? []).toHaveLength(0);
  });

  it("a transient refusal is thrown as it is, for the inbox to try again, and the branch is kept for that try", async () => {
    const { repo, store, log } = setUp();
    repo.refusePull = Object.assign(new Error("Bad gateway"), { status: 502 });
    const attempt = runIntake(store, config, request(VALID), log);
    await expect(attempt).rejects.not.toBeInstanceOf(PermanentFailure);
    expect(repo.branches.has("factory/7-dark-mode")).toBe(true);
  });

  it("a record pasted by someone else on the issue is not taken for the app's", async () => {
    const { repo, store, log, warnings } = setUp();
    await runIntake(store, config, request(VALID), log);
    const own = repo.comments.get(7)![0]!.body;
    repo.addComment(7, own.replace("Dark mode", "Light mode"), { login: "mallory", type: "User" });
    const reread = await store.load(7);
    expect(reread.records).toHaveLength(1);
    expect(warnings.some((w) => /hidden block/.test(w))).toBe(true);
  });
});
