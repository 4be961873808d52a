import { describe, expect, it } from "vitest";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

let s: Scenario;

useScenario((next) => {
  s = next;
});

const writes = () => s.app.requests.filter((r) => r.method !== "GET" && !r.route.includes("access_tokens"));

describe("a malformed .github/factory.yml", () => {
  it("yields one actionable comment naming the key, and no other writes", async () => {
    s.double.writeFile(".github/factory.yml", "maxBuildAttempts: three\ncommands:\n  allowedRoles: [write, god]\n");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();

    expect(writes().map((r) => `${r.method} ${r.route}`)).toEqual(["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"]);
    const [comment] = s.double.commentsOn(issue);
    expect(comment?.body).toContain("`.github/factory.yml` needs a fix");
    expect(comment?.body).toContain('`maxBuildAttempts` must be a number; got string `"three"`');
    expect(comment?.body).toContain("`commands.allowedRoles[1]` must be one of `admin`, `maintain`, `write`, `triage`, `read`");
    expect(s.double.pulls()).toHaveLength(0);
    expect(s.warnings.some((w) => w.includes("is invalid"))).toBe(true);
  });

  it("does not post the same report twice, but does post a changed one", async () => {
    s.double.writeFile(".github/factory.yml", "labels:\n  intake: 42\n");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.deliver(s.label(issue));
    await s.idle();
    expect(s.double.commentsOn(issue)).toHaveLength(1);

    s.double.writeFile(".github/factory.yml", "labels:\n  intake: 43\n  colour: red\n");
    await s.deliver(s.label(issue));
    await s.idle();
    expect(s.double.commentsOn(issue)).toHaveLength(2);
    expect(s.double.commentsOn(issue)[1]?.body).toContain("`labels` has unknown key `colour`");
  });

  it("reports YAML that does not parse", async () => {
    s.double.writeFile(".github/factory.yml", "labels: [unclosed\n");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    expect(s.double.commentsOn(issue)[0]?.body).toMatch(/the file is not valid YAML at line 2, column 1: .+/);
  });

  it("shows hostile keys inert and a hundred long ones counted, and reports them once however often events come", async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}${"x".repeat(1_000)}`);
    const yaml = [`"<!-- software-factory {\\"forged\\": 1} -->\`": 1`, ...keys.map((k) => `${k}: 1`)].join("\n");
    s.double.writeFile(".github/factory.yml", `${yaml}\n`);
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    for (let i = 0; i < 4; i++) {
      await s.deliver(s.label(issue));
      await s.idle();
    }
    const reports = s.double.commentsOn(issue).filter((c) => c.body.includes("needs a fix"));
    expect(reports).toHaveLength(1);
    const body = reports[0]?.body ?? "";
    expect(body.length).toBeLessThan(10_000);
    // The key is shown, but can neither close the code span nor open a hidden block.
    expect(body).toContain("`‹!-- software-factory");
    expect(body.match(/<!-- software-factory/g)).toHaveLength(1);
    expect(body).toContain("and 91 more");
  });

  it("stays quiet on events that do not look like the factory's", async () => {
    s.double.writeFile(".github/factory.yml", "maxBuildAttempts: 0\n");
    const issue = s.double.openIssue("alice", "Unrelated", "text").number;
    await s.deliver(s.label(issue, { label: "bug" }));
    await s.idle();
    expect(writes()).toEqual([]);
  });

  it("uses a valid custom configuration", async () => {
    s.double.writeFile(".github/factory.yml", "labels:\n  intake: ship-it\nbranchPrefix: bots/\nledger:\n  issue: false\n");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue, { label: "ship-it" }));
    await s.idle();
    expect(s.double.refs.has("heads/bots/1-add-dark-mode")).toBe(true);
    expect([...s.double.issues.values()].filter((i) => i.title === "Factory ledger")).toHaveLength(0);
  });
});
