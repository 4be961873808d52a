import { describe, expect, it } from "vitest";
import { Box } from "../../src/cells/box.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

/** `/factory status` on an artifact, answered by an app whose sandbox is `box`; and what the app logged at start. */
function statusWith(box: Box) {
  let s: Scenario;
  useScenario((next) => void (s = next), { app: { box } });
  const startLog = () => ({ errors: s.errors, warnings: s.warnings });
  const status = async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    await s.deliver(s.comment(issue, "maintainer", "/factory status").event);
    await s.idle();
    return s.double.commentsOn(issue).filter((c) => c.user.type === "Bot").at(-1)?.body ?? "";
  };
  return { status, startLog };
}

describe("/factory status with a sandbox that does not work", () => {
  const { status, startLog } = statusWith(Box.fromEnv({ FACTORY_SANDBOX: "firejail" }));

  it("says so, with what to set, and that jobs are refused until it works", async () => {
    const reply = await status();
    // Said at start, as an error: the one this test expects, taken out of the list the scenario checks is empty.
    const { errors } = startLog();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^the sandbox does not work: builds and verify commands will be refused .*firejail/);
    errors.length = 0;
    expect(reply).toContain("| Sandbox | `bwrap`, **not working**: `FACTORY_SANDBOX=firejail` is not a sandbox this version knows: set `bwrap` (the default), `docker`, `podman` or `none`.");
    expect(reply).toContain("Builds and verify commands are refused until it works. |");
  });
});

describe("/factory status with no sandbox", () => {
  const { status, startLog } = statusWith(Box.fromEnv({ FACTORY_SANDBOX: "none" }));

  it("shows the open host plainly, as the warning at start did", async () => {
    const reply = await status();
    expect(startLog().warnings.some((w) => w.startsWith("FACTORY_SANDBOX=none: harnesses and verify commands run as the app's user"))).toBe(true);
    expect(reply).toContain("| Sandbox | **none**: harnesses and verify commands run as the app's user, with the host open to them (`FACTORY_SANDBOX=none`) |");
  });
});
