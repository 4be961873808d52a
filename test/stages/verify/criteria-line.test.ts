import { describe, expect, it } from "vitest";
import { useScenario, type Scenario } from "../../support/scenario.js";
import { intakeAndWait, ScriptedRunner } from "../../support/scripted-line.js";

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: () => ({ files: { "src/theme.js": "export const toggle = 1;\n", "test/theme-toggle.test.js": "// the toggle\n" }, subject: "Theme toggle" }),
  verifyFailure: () => undefined,
});

describe("the tracking comment's criteria checklist, after a verdict", () => {
  useScenario((next) => void (s = next), { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } });

  it("ticks a criterion a test of the change covers, and leaves the other to a person, saying why", async () => {
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 } })}\n`);
    const { issue } = await intakeAndWait(s, "Dark mode");
    const tracking = s.double.commentsOn(issue).find((c) => c.body.startsWith("### Software Factory:"))?.body ?? "";
    expect(tracking).toContain("- [x] a theme toggle on the settings page (`test/theme-toggle.test.js` (added or changed in this PR); `npm test` passed)");
    expect(tracking).toContain("- [ ] the choice survives a reload (needs a person: no test named for it; this PR changed `test/theme-toggle.test.js`; `npm test` passed)");
  });
});
