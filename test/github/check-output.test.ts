import { describe, expect, it } from "vitest";
import { CHECK_OUTPUT_BYTES, RepoPort } from "../../src/github/repo-port.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { useScenario, type Scenario } from "../support/scenario.js";
import { intakeAndWait, ScriptedRunner } from "../support/scripted-line.js";

/**
 * A check run's summary and text are limited by GitHub in UTF-8 bytes, not characters:
 * a verdict full of "✓" or CJK text is cut to fit (and says so) instead of being
 * refused, which would leave the verdict unrecorded.
 */

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: (_n, issue) => ({ files: { [`src/feature-${issue}.js`]: "export const feature = 1;\n" }, subject: `Feature ${issue}` }),
  verifyFailure: () => undefined,
});
useScenario(
  (next) => {
    s = next;
  },
  { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } },
);

describe("check run output", () => {
  it("cuts a summary and text over 65,535 bytes to fit, on a character boundary, saying it was cut; a small one is sent whole", async () => {
    const port = new RepoPort(await s.app.probot.auth(1), { owner: s.double.owner, repo: s.double.repo });
    const sha = s.double.push("feature", { "src/a.js": "changed\n" }, "Change", "alice");
    const summary = "✓".repeat(30_000); // 30,000 characters, 90,000 bytes
    const text = "é".repeat(40_000); // 80,000 bytes
    const id = await port.createCheckRun({ name: "factory/verify", sha, status: "completed", conclusion: "failure", title: "1 failed", summary, text });
    const run = s.double.checkRunsFor(sha).find((r) => r.id === id);
    for (const field of [run?.output.summary ?? "", run?.output.text ?? ""]) {
      expect(Buffer.byteLength(field)).toBeLessThanOrEqual(CHECK_OUTPUT_BYTES);
      expect(Buffer.byteLength(field)).toBeGreaterThan(CHECK_OUTPUT_BYTES - 200);
      expect(field).toMatch(/\n\n… \(cut to fit GitHub's check-run limit; the PR comment has the rest\)$/);
      expect(field).not.toContain("\ufffd");
    }
    await port.updateCheckRun(id, { status: "completed", conclusion: "success", title: "pass", summary: "✓ all passed" });
    expect(s.double.checkRunsFor(sha).find((r) => r.id === id)?.output.summary).toBe("✓ all passed");
  });

  it("a CI job named like the gate (factory/verify) is evidence, not the app's run to update: the gate is its own run beside it", async () => {
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } } })}\n`);
    s.double.ciChecks = ["factory/verify"];
    s.double.ci = { registerAfterMs: 0, finish: { conclusion: "success", afterMs: 0 } };
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    const head = s.double.pulls().find((p) => p.number === pr)?.pull?.head ?? "";
    const runs = s.double.checkRunsFor(s.double.git.refSha(`heads/${head}`) ?? "").filter((r) => r.name === "factory/verify");
    expect(runs.map((r) => [r.app.slug, r.conclusion]).sort()).toEqual([
      ["github-actions", "success"],
      ["software-factory", "success"],
    ]);
    expect(foldFromDouble(s.double, issue)).toMatchObject({ stage: "analyst", verification: "pass" });
  });
});
