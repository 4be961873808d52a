import { describe, expect, it } from "vitest";
import { foldFromDouble as foldFromDoubleOf } from "../../src/sandbox/fold-double.js";
import { TRACKING_MARKER } from "../../src/state/artifact-store.js";
import { intercept } from "../support/intercept.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

let s: Scenario;

useScenario((next) => {
  s = next;
});

const foldFromDouble = (issue: number) => foldFromDoubleOf(s.double, issue);

function snapshot() {
  return {
    comments: [...s.double.comments.values()].map((c) => ({ id: c.id, issue: c.issue, body: c.body })),
    refs: [...s.double.refs.entries()],
    pulls: s.double.pulls().map((p) => p.number),
    issues: [...s.double.issues.values()].map((i) => ({ number: i.number, labels: [...i.labels].sort(), body: i.body })),
  };
}

describe("intake", () => {
  it("opens exactly one tracking comment, one branch with one empty commit and one draft PR; the scout posts its memo and the fold waits at build", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    await s.deliver(s.label(issue.number));
    await s.idle();

    const tracking = s.double.commentsOn(issue.number);
    expect(tracking).toHaveLength(1);
    expect(tracking[0]?.user.login).toBe("software-factory[bot]");
    expect(tracking[0]?.body).toContain(TRACKING_MARKER);
    expect(tracking[0]?.body).toContain("- [x] intake");
    expect(tracking[0]?.body).toContain("- [x] scout");
    expect(tracking[0]?.body).toContain("**build** (active)");

    const branch = "factory/1-add-dark-mode";
    expect(s.double.refs.has(`heads/${branch}`)).toBe(true);
    const ahead = s.double.commitsAhead(branch);
    expect(ahead).toHaveLength(1);
    const base = s.double.git.commit(s.double.refs.get("heads/main") ?? "");
    expect(ahead[0]?.tree).toBe(base?.tree);

    const pulls = s.double.pulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.pull).toMatchObject({ head: branch, base: "main", draft: true });
    expect(pulls[0]?.body).toContain(`Closes #${issue.number}`);

    const artifact = foldFromDouble(issue.number);
    const memo = s.double.commentsOn(pulls[0]?.number ?? 0).filter((c) => c.user.type === "Bot");
    expect(memo).toHaveLength(1);
    expect(memo[0]?.body).toMatch(/^### Scout memo/);
    expect(artifact).toMatchObject({
      stage: "build",
      attempts: { scout: 1 },
      status: "active",
      branch,
      pr: pulls[0]?.number,
      owner: "alice",
      requestedBy: "maintainer",
      criteria: ["a theme toggle on the settings page", "the choice survives a reload"],
      goal: "Users can switch the settings page to a dark theme.",
    });
    expect(s.double.issues.get(issue.number)?.labels).toEqual(["factory:intake", "factory:stage/build"]);
    expect(s.double.labels.get("factory:stage/build")).toMatchObject({ color: "1d76db" });
  });

  it("handles the same delivery twice in one instance once", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    const labeled = s.label(issue.number);
    await Promise.all([s.deliver(labeled), s.deliver(labeled)]);
    await s.idle();
    expect(s.double.commentsOn(issue.number)).toHaveLength(1);
    expect(s.double.counts.get("POST /repos/{owner}/{repo}/pulls")).toBe(1);
  });

  it("changes nothing when every event of the scenario is redelivered, or the issue relabelled", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    const labeled = s.label(issue.number);
    await s.deliver(labeled);
    await s.idle();
    const before = snapshot();

    await s.deliver(labeled);
    await s.idle();
    s.double.issues.get(issue.number)!.labels = s.double.issues.get(issue.number)!.labels.filter((l) => l !== "factory:intake");
    await s.deliver(s.label(issue.number));
    await s.idle();

    expect(snapshot()).toEqual(before);
  });

  it("creates no second branch, PR or comment when two instances sharing the locks handle the label event at once", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    const labeled = s.label(issue.number);
    const other = await s.secondInstance();
    await Promise.all([s.deliver(labeled), other.deliver(labeled)]);
    await Promise.all([s.idle(), other.idle()]);

    // The artifact's lock let one instance open it; the other found it open and did nothing.
    expect(s.double.counts.get("POST /repos/{owner}/{repo}/pulls")).toBe(1);
    expect(s.double.commentsOn(issue.number)).toHaveLength(1);
    expect(s.double.pulls()).toHaveLength(1);
    expect([...s.double.refs.keys()].filter((r) => r.startsWith("heads/factory/"))).toEqual(["heads/factory/1-add-dark-mode"]);
    expect(s.double.commitsAhead("factory/1-add-dark-mode")).toHaveLength(1);
    expect(foldFromDouble(issue.number).stage).toBe("build");
  });

  it("ignores labels other than the intake label, and pull requests", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    await s.deliver(s.label(issue.number, { label: "bug" }));
    await s.idle();
    expect(s.double.comments.size).toBe(0);
    expect(s.double.pulls()).toHaveLength(0);
  });

  it("a pull request refused for a branch GitHub does not see yet (it lags right after the branch is made) opens on the next try; the branch is kept", async () => {
    const lagging = intercept(
      s.double,
      (r) => r.method === "POST" && /\/pulls$/.test(r.path),
      () => ({ status: 422, body: { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: "No commits between main and factory/1-add-dark-mode" }], documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request" } }),
    );
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    await s.deliver(s.label(issue.number));
    await s.idle();
    lagging.restore();
    expect(lagging.seen).toBe(1);
    expect(s.double.pulls()).toHaveLength(1);
    expect(foldFromDouble(issue.number).stage).toBe("build");
    expect(s.double.commentsOn(issue.number).some((c) => c.body.includes("GitHub refused to open the pull request"))).toBe(false);
  });

  it("takes the intake label however the repository spells it (GitHub matches label names without regard to case)", async () => {
    // The repository had its labels before the app came, in its own case.
    s.double.ensureLabel("Factory:Intake");
    s.double.ensureLabel("Factory:Stage/Scout");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY);
    await s.deliver(s.label(issue.number, { label: "Factory:Intake" }));
    await s.idle();
    expect(s.double.pulls()).toHaveLength(1);
    expect(foldFromDouble(issue.number).stage).toBe("build");
    // The stage labels follow the line in the repository's spelling: one of each, none left behind.
    expect(s.double.issues.get(issue.number)?.labels).toEqual(["Factory:Intake", "factory:stage/build"]);
  });

  it("without success criteria, says what is missing, labels needs-criteria, and starts when the issue is edited", async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", "Dark mode would be nice.");
    await s.deliver(s.label(issue.number));
    await s.idle();

    const [tracking] = s.double.commentsOn(issue.number);
    expect(tracking?.body).toContain("Waiting for success criteria");
    expect(tracking?.body).toContain("### Success criteria");
    expect(s.double.issues.get(issue.number)?.labels).toContain("factory:needs-criteria");
    expect(s.double.pulls()).toHaveLength(0);
    expect(foldFromDouble(issue.number).status).toBe("needs-criteria");

    await s.deliver(s.edit(issue.number, VALID_BODY));
    await s.idle();

    const comments = s.double.commentsOn(issue.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.id).toBe(tracking?.id);
    expect(comments[0]?.body).not.toContain("Waiting for success criteria");
    expect(s.double.pulls()).toHaveLength(1);
    expect(s.double.issues.get(issue.number)?.labels).toEqual(["factory:intake", "factory:stage/build"]);
    expect(foldFromDouble(issue.number)).toMatchObject({ stage: "build", status: "active" });
  });
});
