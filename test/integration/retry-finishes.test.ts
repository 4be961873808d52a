import { describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { intercept } from "../support/intercept.js";
import { useScenario, type Scenario } from "../support/scenario.js";
import { intakeAndWait, ScriptedRunner } from "../support/scripted-line.js";

/**
 * A try of an event that wrote its record and then failed (GitHub answered 502, or
 * the process died) is tried again, and the retry finishes what the first began:
 * it does not stop at a guard that the first try's own record has made false.
 */

let s: Scenario;
const runner = new ScriptedRunner(() => s, {
  build: (_n, issue) => ({ files: { [`src/feature-${issue}.js`]: "export const feature = 1;\n" }, subject: `Feature ${issue}` }),
  verifyFailure: () => undefined,
});

const CONFIG = `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0.01 } })}\n`;

const packageComment = (r: { method: string; path: string; body?: unknown }) =>
  r.method === "POST" && /\/issues\/\d+\/comments$/.test(r.path) && String((r.body as { body?: string } | undefined)?.body ?? "").startsWith("### Package");

describe("retries finish what their first try began", () => {
  useScenario(
    (next) => {
      s = next;
    },
    { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } },
  );

  it("the end of CI's grace period passed verify, then the package comment failed: the retry packages, and the artifact reaches the analyst", async () => {
    s.double.writeFile(".github/factory.yml", CONFIG);
    const failed = intercept(s.double, packageComment, () => ({ status: 502, body: { message: "Bad Gateway" } }));
    const { issue, pr } = await intakeAndWait(s, "Dark mode");
    failed.restore();

    expect(failed.seen).toBe(1);
    expect(foldFromDouble(s.double, issue)).toMatchObject({ stage: "analyst", status: "active", verification: "pass" });
    expect(s.double.commentsOn(pr).filter((c) => c.body.startsWith("### Package"))).toHaveLength(1);
    expect(s.double.issues.get(issue)?.labels).toContain("factory:stage/analyst");
  });
});
