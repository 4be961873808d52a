import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("runs the line offline, prints the timeline, and writes the HTML transcript", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "factory-demo-test-"));
    dirs.push(dir);
    const out = join(dir, "transcript.html");
    const env = { ...process.env };
    for (const name of ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "FACTORY_STATE_SECRET", "GHE_HOST"]) delete env[name];
    const { stdout } = await run("npm", ["run", "demo", "--", "--out", out], { cwd: new URL("../..", import.meta.url), env });

    expect(stdout).toContain("Sample repository tests, before: 1 passed, 1 failed (failing: dark setting gives the dark theme)");
    expect(stdout).toMatch(/@software-factory\[bot\] opened draft PR #2/);
    expect(stdout).toMatch(/@software-factory\[bot\] commented on #1: ### Software Factory: Dark mode setting has no effect/);
    expect(stdout).toMatch(/Artifact octo-org\/widgets#1: stage analyst, status active, PR #2/);
    expect(stdout).toMatch(/@software-factory\[bot\] commented on #2: ### Build summary/);
    expect(stdout).toContain("(chore(factory): open #1 Dark mode setting has no effect; Return the dark theme when dark mode is on)");
    expect(stdout).toContain("Sample repository tests on the branch, after the build: 2 passed, 0 failed");
    expect(stdout).toContain("scripted harness");
    expect(stdout).toMatch(/Verification: pass at [0-9a-f]{7} \(factory\/verify check: success\)/);
    expect(stdout).toMatch(/commented on #2: ### Verifier: pass/);
    expect(stdout).toMatch(/commented on #2: ### Package: web only/);
    expect(stdout).toMatch(/GitHub requests: \d+ \(\d+ writes\)/);
    expect(stdout).toMatch(/Wall time: \d+\.\d\d s/);
    expect(stdout).toContain("Reached the expected stage (analyst).");
    expect(stdout).not.toContain("problem:");

    const html = readFileSync(out, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Dark mode setting has no effect <span class=\"num\">#1</span>");
    // The verifier's pass marked the draft ready for review.
    expect(html).toContain('<span class="state open">Open</span>');
    expect(html).toContain("record: artifact.opened");
    expect(html).toContain("<h3>Scout memo</h3>");
    expect(html).toContain("<h3>Build summary</h3>");
    expect(html).toContain("record: stage.completed");
    expect(html).not.toContain("<!-- software-factory");
  });
});
