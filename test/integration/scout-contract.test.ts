import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CELLS_ROOT, loadContracts } from "../../src/cells/contracts.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { createScenario, VALID_BODY } from "../support/scenario.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The real cells, with the scout's output schema made stricter than any memo can meet. */
function stricterContracts() {
  const dir = mkdtempSync(join(tmpdir(), "factory-cells-"));
  dirs.push(dir);
  cpSync(CELLS_ROOT, dir, { recursive: true });
  const file = join(dir, "scout", "output.schema.json");
  const schema = JSON.parse(readFileSync(file, "utf8")) as { properties: { likelyFiles: { minItems?: number } } };
  schema.properties.likelyFiles.minItems = 99;
  writeFileSync(file, JSON.stringify(schema));
  return loadContracts(dir);
}

describe("a scout memo that breaks its contract", () => {
  it("fails the stage with the problem on the PR, blocks the artifact, and passes nothing on", async () => {
    const s = await createScenario({ app: { contracts: stricterContracts() } });
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const pr = s.double.pulls()[0]?.number ?? 0;
    const comments = s.double.commentsOn(pr).filter((c) => c.user.type === "Bot");
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/^### scout failed/);
    expect(comments[0]?.body).toContain("`cells/scout/output.schema.json`");
    expect(comments[0]?.body).toContain("`output.likelyFiles` must NOT have fewer than 99 items");
    expect(foldFromDouble(s.double, issue)).toMatchObject({ stage: "scout", status: "blocked" });
    expect(s.double.issues.get(issue)?.labels).toContain("factory:blocked");
    expect(s.app.violations).toEqual([]);
    expect(s.errors).toEqual([]);
  });
});
