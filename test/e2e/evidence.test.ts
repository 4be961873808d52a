/**
 * A verdict needs evidence. CI registers its checks some time after a push (here,
 * as on GitHub, never within it), a repository may have no CI at all, and the base
 * branch may require checks that never come: the verifier waits for what it must
 * have, says what it waits for, and never passes on nothing.
 */
import { describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/sandbox.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

/** The builder's harness: it fixes the theme. */
const AGENT = `
import { writeFileSync } from "node:fs";
writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
`;

function files(config: Record<string, unknown> = {}) {
  return {
    ...SAMPLE_FILES,
    "agent.mjs": AGENT,
    ".github/factory.yml": `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, maxBuildAttempts: 1, ...config })}\n`,
  };
}

function recordOf(body: string) {
  const block = decodeBlocks(body)[0];
  return block?.ok ? (block.value as { kind: string; data: Record<string, unknown> }) : undefined;
}

function botComments(sb: Sandbox, thread: number, heading: string) {
  return sb.double.commentsOn(thread).filter((c) => c.user.type === "Bot" && c.body.startsWith(heading));
}

function verdicts(sb: Sandbox, pr: number) {
  return botComments(sb, pr, "### Verifier:")
    .map((c) => recordOf(c.body))
    .filter((r) => r?.kind === "stage.completed")
    .map((r) => r?.data.output as { verdict: string; sha: string; evidence: Array<{ name: string }>; acceptedBy?: string } | undefined);
}

/** Waits (without waiting for CI, as `idle` does) until `ready` holds. */
async function until(ready: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function tracking(sb: Sandbox, issue: number): string {
  return botComments(sb, issue, "### Software Factory:")[0]?.body ?? "";
}

function open(sb: Sandbox): { issue: number; pr: () => number; head: () => string } {
  const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
  sb.label(issue, "factory:intake");
  const pull = () => sb.double.pulls()[0];
  return { issue, pr: () => pull()?.number ?? 0, head: () => sb.double.git.refSha(`heads/${pull()?.pull?.head ?? ""}`) ?? "" };
}

function slowCi(conclusion: string): SandboxOptions {
  // CI registers only after the verifier has looked (on GitHub, often seconds after the push): held until the test releases it.
  return { files: files(), ci: { checks: ["ci/test"], held: true, conclusion, finishAfterMs: 50 } };
}

describe("CI registers after the verifier has looked at the builder's push", () => {
  let sb: Sandbox;

  describe("and passes", () => {
    useSandbox((next) => void (sb = next), slowCi("success"));

    it("no verdict before CI registers; then the verdict is CI's pass, at the builder's commit", async () => {
      const { issue, pr, head } = open(sb);
      await until(() => pr() > 0 && botComments(sb, pr(), "### Verify: waiting for CI").length > 0, "the verifier to wait for CI");
      await until(() => tracking(sb, issue).includes("**Next:** verify: waiting for CI to register its checks"), "the tracking comment to say so");
      const built = head();
      // Between the push and CI: no verdict, no CI check yet, the gate in progress, the artifact at verify.
      expect(verdicts(sb, pr())).toEqual([]);
      expect(sb.double.checkRunsFor(built).map((r) => r.name)).toEqual(["factory/verify"]);
      expect(sb.double.checkRunsFor(built)[0]).toMatchObject({ status: "in_progress", output: { title: "Waiting for CI to register" } });
      expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "verify", status: "active", verification: "pending" });

      sb.double.releaseCi();
      await sb.idle();
      const [verdict] = verdicts(sb, pr());
      expect(verdict).toMatchObject({ verdict: "pass", sha: built, evidence: [{ name: "ci/test" }] });
      expect(verdicts(sb, pr())).toHaveLength(1);
      expect(sb.double.checkRunsFor(built).find((r) => r.name === "factory/verify")).toMatchObject({ status: "completed", conclusion: "success" });
      expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ verification: "pass", verifiedSha: built });
    });
  });

  describe("and fails", () => {
    useSandbox((next) => void (sb = next), slowCi("failure"));

    it("no verdict before CI registers; then a fail, back to build (here blocked: one attempt)", async () => {
      const { issue, pr, head } = open(sb);
      await until(() => pr() > 0 && botComments(sb, pr(), "### Verify: waiting for CI").length > 0, "the verifier to wait for CI");
      expect(verdicts(sb, pr())).toEqual([]);
      sb.double.releaseCi();
      await sb.idle();
      expect(verdicts(sb, pr())).toMatchObject([{ verdict: "fail", sha: head(), evidence: [{ name: "ci/test" }] }]);
      expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked", verification: "fail" });
    });
  });
});

describe("no CI and no verify commands", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: files({ verify: { ciGraceMinutes: 0.02 } }), ci: false });

  it("no pass, ever: after the grace period the verdict is 'no evidence' and the artifact waits; a maintainer's explicit acceptance is recorded and shown in the post-run note", async () => {
    const { issue, pr, head } = open(sb);
    await sb.idle();
    const sha = head();

    expect(verdicts(sb, pr())).toEqual([]);
    const [none] = botComments(sb, pr(), "### Verifier: no evidence");
    expect(none?.body).toContain(`No check or status reported on \`${sha.slice(0, 7)}\``);
    expect(none?.body).toContain("set `verify.commands`");
    expect(none?.body).toContain("/factory verify --accept-no-evidence");
    expect(sb.double.checkRunsFor(sha).find((r) => r.name === "factory/verify")).toMatchObject({ status: "completed", conclusion: "neutral", output: { title: "No evidence" } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "verify", status: "active", verification: "no-evidence" });
    expect(tracking(sb, issue)).toContain("add CI, set `verify.commands` or `verify.requiredChecks` in `.github/factory.yml`, or accept it with `/factory verify --accept-no-evidence`");
    expect(sb.double.pulls()[0]?.pull?.draft).toBe(true);

    // The timer and CI's silence say it once; a person who asks again gets the same answer, and no pass.
    sb.comment(pr(), "maintainer", "/factory verify");
    await sb.idle();
    expect(verdicts(sb, pr())).toEqual([]);
    expect(botComments(sb, pr(), "### Verifier: no evidence")).toHaveLength(2);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ verification: "no-evidence", nextHandoff: expect.stringContaining("--accept-no-evidence") });

    // Acceptance is a state change: a reader cannot.
    sb.comment(pr(), "reader", "/factory verify --accept-no-evidence");
    await sb.idle();
    expect(verdicts(sb, pr())).toEqual([]);
    expect(sb.double.commentsOn(pr()).at(-1)?.body).toContain("Sorry @reader");

    sb.comment(pr(), "maintainer", "/factory verify --accept-no-evidence");
    await sb.idle();
    expect(verdicts(sb, pr())).toMatchObject([{ verdict: "pass", sha, evidence: [], acceptedBy: "maintainer" }]);
    expect(sb.double.checkRunsFor(sha).find((r) => r.name === "factory/verify")).toMatchObject({ conclusion: "success", output: { title: "Accepted without evidence by @maintainer" } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", verification: "pass" });

    sb.merge(pr(), "maintainer");
    await sb.idle();
    const note = botComments(sb, pr(), "### Post-run note: merged")[0]?.body ?? "";
    expect(note).toContain("@maintainer");
    expect(note).toContain("Nothing verified the last commit: @maintainer accepted it without evidence");
  });
});

describe("required checks from branch protection and rulesets", () => {
  let sb: Sandbox;
  useSandbox(
    (next) => {
      sb = next;
      sb.double.protection.set("main", ["ci/test", "factory/verify"]);
      sb.double.rulesets.push({ id: 7, name: "e2e on main", include: ["~DEFAULT_BRANCH"], checks: ["e2e"] }, { id: 8, name: "releases", include: ["refs/heads/release/*"], checks: ["release-notes"] });
    },
    { files: files({ verify: { ciGraceMinutes: 0.02 } }) },
  );

  it("a required check that never reports: no verdict, the artifact waits and names it; when it reports, the verdict follows", async () => {
    const { issue, pr, head } = open(sb);
    await sb.idle();
    const sha = head();

    // ci/test passed, but `e2e` (a ruleset on the default branch) never reported: no verdict.
    expect(sb.double.checkRunsFor(sha).find((r) => r.name === "ci/test")).toMatchObject({ conclusion: "success" });
    expect(verdicts(sb, pr())).toEqual([]);
    const [waiting] = botComments(sb, pr(), "### Verify: waiting on required checks");
    expect(waiting?.body).toContain("the required check `e2e` (required by `main`'s branch protection or rulesets) has not reported yet");
    const [overdue] = botComments(sb, pr(), "### Verify: a required check never reported");
    expect(overdue?.body).toContain("`e2e` (required by `main`'s branch protection or rulesets) did not report");
    // The gate itself (required too) and a ruleset for other branches are not waited for.
    for (const body of [waiting?.body, overdue?.body]) expect(body).not.toMatch(/release-notes|`factory\/verify`/);
    expect(sb.double.checkRunsFor(sha).find((r) => r.name === "factory/verify")).toMatchObject({ status: "in_progress", output: { title: "Waiting on 1 check" } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "verify", status: "active", verification: "pending" });
    expect(tracking(sb, issue)).toContain("the required check `e2e` (required by `main`'s branch protection or rulesets) never reported");

    // Said once; a person who asks again gets the same answer, and still no verdict.
    sb.comment(pr(), "maintainer", "/factory verify");
    await sb.idle();
    expect(verdicts(sb, pr())).toEqual([]);
    expect(botComments(sb, pr(), "### Verify: a required check never reported")).toHaveLength(2);
    expect(tracking(sb, issue)).toContain("`e2e` (required by `main`'s branch protection or rulesets) never reported");
    // The branch's rules were read once for all of these looks.
    expect(sb.double.counts.get("GET /repos/{owner}/{repo}/rules/branches/{branch}")).toBe(1);

    sb.double.checks.queueCi(sha, ["e2e"]);
    sb.double.completeCheck(sha, "e2e", { conclusion: "success" });
    await sb.idle();
    expect(verdicts(sb, pr())).toMatchObject([{ verdict: "pass", sha }]);
    expect(verdicts(sb, pr())[0]?.evidence.map((e) => e.name).sort()).toEqual(["ci/test", "e2e"]);
  });
});

describe("a repository that cannot have draft pull requests", () => {
  let sb: Sandbox;
  useSandbox(
    (next) => {
      sb = next;
      sb.double.draftsAllowed = false;
    },
    { files: files() },
  );

  it("opens a normal PR marked [WIP], says so, and the line goes on; the verifier's pass takes the mark off", async () => {
    const { issue, pr } = open(sb);
    await until(() => pr() > 0, "the PR");
    const pull = sb.double.pulls()[0];
    expect(pull?.pull?.draft).toBe(false);
    expect(pull?.title).toBe("[WIP] Dark theme is never used");
    await until(() => tracking(sb, issue).includes("marked **[WIP]**"), "the tracking comment");
    expect(tracking(sb, issue)).toContain("this repository does not allow draft pull requests");

    await sb.idle();
    expect(verdicts(sb, pr())).toMatchObject([{ verdict: "pass" }]);
    expect(sb.double.pulls()[0]?.title).toBe("Dark theme is never used");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active", wip: true });
  });
});

describe("a push after the verdict", () => {
  let sb: Sandbox;
  // CI registers at once and runs until the test finishes it.
  useSandbox((next) => void (sb = next), { files: files(), ci: { checks: ["ci/test"], registerAfterMs: 0, conclusion: "none" } });

  it("shows the verdict stale in the tracking comment and the ledger until the new head has one", async () => {
    const { issue, pr, head } = open(sb);
    await sb.idle();
    const first = head();
    sb.double.completeCheck(first, "ci/test", { conclusion: "success" });
    await sb.idle();
    expect(verdicts(sb, pr())).toMatchObject([{ verdict: "pass", sha: first }]);
    expect(tracking(sb, issue)).toContain(`**Verification:** passed at \`${first.slice(0, 7)}\``);

    sb.push(sb.double.pulls()[0]?.pull?.head ?? "", { "NOTES.md": "a person's note\n" }, "Add a note", "maintainer");
    await sb.idle();
    const second = head();
    expect(second).not.toBe(first);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "verify", verification: "stale", verifiedSha: first });
    expect(tracking(sb, issue)).toContain(`**Verification:** **stale**: the last verdict at \`${first.slice(0, 7)}\` is for an older head`);
    const ledger = () => [...sb.double.issues.values()].find((i) => i.title === "Factory ledger")?.body ?? "";
    expect(ledger()).toMatch(new RegExp(`#${issue} [^|]*\\| verify \\| active \\|[^\\n]*\\| stale \\|`));

    sb.double.completeCheck(second, "ci/test", { conclusion: "success" });
    await sb.idle();
    expect(verdicts(sb, pr()).at(-1)).toMatchObject({ verdict: "pass", sha: second });
    expect(tracking(sb, issue)).toContain(`**Verification:** passed at \`${second.slice(0, 7)}\``);
    expect(ledger()).not.toMatch(new RegExp(`#${issue} [^\\n]*\\| stale \\|`));
  });
});
