import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutput, loadContracts } from "../../src/cells/contracts.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { parseLesson } from "../../src/stages/learn/lesson-file.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const evidence = mkdtempSync(join(tmpdir(), "factory-analyst-e2e-"));
// The harness runs in the sandbox (as another user when the tests run as root): the operator shares this directory with it.
chmodSync(evidence, 0o777);
afterAll(() => rmSync(evidence, { recursive: true, force: true }));
const analyst = loadContracts().get("analyst");

/** Fixes the theme; asked for changes in a review, does what the review says. Keeps each prompt. */
const AGENT = `
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
const prompt = readFileSync(process.argv[2], "utf8");
const n = readdirSync(process.env.EVIDENCE_DIR).filter((f) => f.startsWith("prompt-")).length + 1;
writeFileSync(process.env.EVIDENCE_DIR + "/prompt-" + n + ".md", prompt);
if (prompt.includes("requested changes in a review")) {
  writeFileSync("src/theme.js", "/** The theme for a user's settings. */\\nexport function theme(settings) {\\n  return settings.dark === true ? 'dark' : 'light';\\n}\\n");
  execFileSync("git", ["commit", "-qam", "Compare the dark setting strictly, as the review asked"]);
} else {
  writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
  execFileSync("git", ["commit", "-qam", "Return the dark theme when asked"]);
}
`;

const FILES = {
  ...SAMPLE_FILES,
  "agent.mjs": AGENT,
  ".github/factory.yml": `${JSON.stringify({
    cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"], env: ["EVIDENCE_DIR"] } },
    verify: { commands: ["node --test"] },
    package: { targets: { web: ["src/**"], desktop: ["desktop/**"] } },
  })}\n`,
};

function recordOf(body: string | undefined) {
  const block = decodeBlocks(body)[0];
  return block?.ok ? (block.value as { kind: string; data: Record<string, unknown> }) : undefined;
}

const botComments = (sb: Sandbox, pr: number, prefix: string) => sb.double.commentsOn(pr).filter((c) => c.user.type === "Bot" && c.body.startsWith(prefix));

describe("one artifact from label to merge", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: FILES, harnessEnv: { FACTORY_HARNESS_ENV: "EVIDENCE_DIR", EVIDENCE_DIR: evidence, FACTORY_SANDBOX_WRITABLE: evidence } });

  it("package note, a requested-changes review back to build, the post-run note with every metric, .factory/runs/ on main, and a lesson PR citing the review", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;

    // The packager: web only, 0 desktop lines, a target label.
    const pkg = botComments(sb, pr, "### Package: web only")[0]?.body ?? "";
    expect(pkg).toContain("| desktop | 0 | 0 |");
    expect(recordOf(pkg)?.data).toMatchObject({ stage: "package", output: { decision: "web only", linesPerTarget: { web: 2, desktop: 0 } } });
    expect(sb.double.issues.get(pr)?.labels).toContain("factory:target/web");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active" });

    // A plain comment review is conversation: nothing moves.
    sb.review(pr, "maintainer", { state: "COMMENT", body: "Looks reasonable." });
    await sb.idle();
    expect(botComments(sb, pr, "### Changes requested")).toHaveLength(0);

    // Requested changes send it back to build, with the whole review as feedback.
    sb.review(pr, "maintainer", { state: "REQUEST_CHANGES", body: "One thing before this lands.", comments: [{ path: "src/theme.js", line: 2, body: "Compare with === true. Truthy settings like 'no' should not turn dark mode on." }] });
    await sb.idle();
    expect(botComments(sb, pr, "### Changes requested by @maintainer")[0]?.body).toContain("review round 1");
    const second = readFileSync(join(evidence, "prompt-2.md"), "utf8");
    expect(second).toContain("@maintainer requested changes in a review");
    expect(second).toContain("`src/theme.js:2`: Compare with === true.");
    expect(botComments(sb, pr, "### Verifier: pass")).toHaveLength(2);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", reviewRounds: 1, attempts: { build: 2, verify: 2 } });

    // Approved and merged: the analyst's post-run note.
    sb.review(pr, "maintainer", { state: "APPROVE" });
    sb.merge(pr, "maintainer");
    await sb.idle();
    const note = botComments(sb, pr, "### Post-run note: merged")[0]?.body ?? "";
    const record = recordOf(note);
    expect(record?.kind).toBe("run.ended");
    const metrics = record?.data.metrics as Record<string, unknown>;
    expect(analyst && checkOutput(analyst, metrics)).toEqual({ ok: true });
    expect(metrics).toMatchObject({ outcome: "merged", buildAttempts: 2, verifyAttempts: 2, verifyFirstTry: true, reviewRounds: 1, linesPerTarget: { web: expect.any(Number), desktop: 0 } });
    expect(metrics.reviewFixCommits).toBeGreaterThanOrEqual(1);
    expect(Object.keys(metrics.stageMs as object)).toEqual(expect.arrayContaining(["scout", "build", "verify", "package", "analyst"]));
    expect((metrics.scout as { changed: string[] }).changed).toEqual(["src/theme.js"]);
    expect((metrics.scout as { hits: string[] }).hits).toContain("src/theme.js");
    for (const label of ["Time per stage", "Scout time", "Build attempts", "Verify attempts", "Review rounds", "Commits after the first review", "Lines per target", "Scout accuracy"]) expect(note).toContain(label);

    // Written back on the default branch, where the next scout reads it.
    const main = sb.double.git.refSha("heads/main") ?? "";
    const files = Object.keys(sb.double.git.readAll(main)).filter((f) => f.startsWith(".factory/runs/"));
    expect(files).toHaveLength(2);
    const json = JSON.parse(sb.double.git.readFile(main, files.find((f) => f.endsWith(".json")) ?? "") ?? "{}") as { v: number; changedFiles: string[]; metrics: { reviewRounds: number } };
    expect(json).toMatchObject({ v: 1, changedFiles: ["src/theme.js"], metrics: { reviewRounds: 1 } });

    // A lesson PR citing the review comment it came from.
    const lessonsPr = sb.double.pulls().find((p) => p.title === `Factory lessons from #${pr}`);
    expect(lessonsPr?.body).toContain("#discussion_r");
    const lessonFile = Object.entries(sb.double.git.readAll(sb.double.git.refSha(`heads/${lessonsPr?.pull?.head ?? ""}`) ?? "")).find(([f]) => f.startsWith(".factory/lessons/"));
    const parsed = parseLesson(lessonFile?.[0] ?? "", lessonFile?.[1] ?? "");
    expect(parsed.ok && parsed.lesson).toMatchObject({ paths: ["src/theme.js"], title: "Compare with === true." });
    expect(parsed.ok && parsed.lesson.sources[0]).toMatch(/#discussion_r\d+$/);

    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "done", status: "done", nextHandoff: expect.stringMatching(/^nobody: merged; post-run note in .factory\/runs\/2026-\d\d-\d\d-dark-theme-is-never-used.json$/) });
    // The ledger lists it with that handoff.
    const ledger = [...sb.double.issues.values()].find((i) => i.title === "Factory ledger");
    expect(ledger?.body).toContain("post-run note in .factory/runs/");
  }, 120_000); // the whole line twice over (a review sends it back to build) with real processes: about 45 s alone, more beside the other files
});
