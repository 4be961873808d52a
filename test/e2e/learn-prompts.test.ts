import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REFLECT_FILES } from "../../src/stages/learn/reflect.js";
import { promptOverridePath } from "../../src/stages/learn/prompt-file.js";
import { runCli, usageError } from "../support/cli.js";
import { useScenario, type Scenario } from "../support/scenario.js";
import { intakeAndWait, mergeByHand, ScriptedRunner } from "../support/scripted-line.js";

/**
 * `factory learn prompts` against the double the app ran a line on: merged
 * artifacts, their records and PRs read through the API, replayed from the
 * double's real git repository with the configured harness in the box.
 */

const ENV = { GITHUB_TOKEN: "ghp_test_token", FACTORY_STATE_SECRET: "test-state-secret", PATH: process.env.PATH };

/** The repository's agent: writes the artifact's adder (named by its branch), formatted only when its prompt says to. */
const AGENT = `
import { readFileSync, writeFileSync } from "node:fs";
const prompt = readFileSync(process.argv[2], "utf8");
const n = /branch \\\`factory\\/(\\d+)-/.exec(prompt)[1];
const formats = /run the repository's formatter/i.test(prompt);
writeFileSync("src/add-" + n + ".js", "export function add(a, b) {" + (formats ? "" : "  ") + "\\n  return a + b;\\n}\\n");
`;
const CHECK_FORMAT = `
import { readdirSync, readFileSync } from "node:fs";
const bad = readdirSync("src").filter((f) => /[ \\t]$/m.test(readFileSync("src/" + f, "utf8")));
if (bad.length) { console.error(bad.join(", ") + ": trailing whitespace; run the formatter"); process.exit(1); }
`;

const REFLECT = `const fs = require("fs"); const f = fs.readFileSync("${REFLECT_FILES.feedback}", "utf8"); let t = fs.readFileSync("${REFLECT_FILES.template}", "utf8");
if (/run the formatter/.test(f) && !/formatter/.test(t)) t = t.trimEnd() + "\\n\\nRun the repository's formatter on what you changed.\\n";
fs.writeFileSync("${REFLECT_FILES.template}", t);`;

function config(more: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"] }, reflect: { harness: "command", command: ["node", "-e", REFLECT] } },
    verify: { commands: ["node check-format.mjs", "node --test"], ciGraceMinutes: 0 },
    ...more,
  })}\n`;
}

const testOf = (issue: number) => `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from '../src/add-${issue}.js';\n\ntest('add for #${issue}', () => {\n  assert.equal(add(${issue}, 1), ${issue + 1});\n});\n`;

let s: Scenario;
/** Each build commits the fix and a test of it; verification passes. */
const runner = new ScriptedRunner(() => s, {
  build: (_n, issue) => ({ files: { [`src/add-${issue}.js`]: "export function add(a, b) {\n  return a + b;\n}\n", [`test/add-${issue}.test.js`]: testOf(issue) }, subject: `An adder for #${issue}` }),
  verifyFailure: () => undefined,
});

async function mergedArtifacts(count: number): Promise<number[]> {
  s.double.writeFile("src/index.js", "export {};\n");
  s.double.writeFile("package.json", `${JSON.stringify({ name: "calc", type: "module" })}\n`);
  s.double.writeFile("agent.mjs", AGENT);
  s.double.writeFile("check-format.mjs", CHECK_FORMAT);
  s.double.writeFile("test/.keep", "");
  const issues: number[] = [];
  for (let i = 0; i < count; i++) {
    const { issue, pr } = await intakeAndWait(s, `add() is wrong, case ${i + 1}`);
    await mergeByHand(s, pr);
    issues.push(issue);
  }
  return issues;
}

/** The README's command, on the double's repository, with a budget this small world needs (and fewer reflections). */
function documented(): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const argv = /npx factory (learn prompts [^\n]+)/.exec(readme)?.[1]?.trim().split(/\s+/) ?? [];
  expect(argv).toEqual(["learn", "prompts", "--cell", "builder", "--repo", "owner/name", "--dir", "path/to/clone", "--budget", "40", "--pr"]);
  return argv.map((a) => (a === "owner/name" ? "octo-org/widgets" : a === "path/to/clone" ? s.double.git.dir : a === "40" ? "12" : a));
}

const learn = (more: string[] = []) => runCli([...documented().filter((a) => a !== "--pr"), "--trials", "2", "--verbose", ...more], ENV);

// Each test replays real harness and verify processes in the box a dozen or more times (about 1–2 s each on 2 cores).
const REPLAYS_MS = 180_000;

describe("factory learn prompts", () => {
  useScenario((next) => void (s = next), { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } });

  it("replays the merged artifacts, accepts the template the held-out one passes with, and proposes it by PR", async () => {
    s.double.writeFile(".github/factory.yml", config());
    const issues = await mergedArtifacts(3);
    const { code, lines: printed } = await learn(["--pr"]);
    expect(code).toBe(0);
    // --verbose: each replay, its score and the start of its feedback.
    const replays = printed.filter((l) => l.startsWith("replay "));
    expect(replays.some((l) => /^replay octo-org\/widgets#\d+ \(template [0-9a-f]{8}\): 0, Verification failed .*Command `node check-format.mjs` failed/.test(l))).toBe(true);
    expect(replays.some((l) => /: 1, Verified: `node check-format.mjs`, `node --test`, with the merged change's tests \(`test\/add-\d+\.test\.js`\) passed\.$/.test(l))).toBe(true);
    const lines = printed.filter((l) => !l.startsWith("replay "));
    expect(lines[0]).toBe(`Replayed 3 merged artifacts of octo-org/widgets: searched on 2, judged on the 1 merged after them, starting from the factory's default template.`);
    expect(lines[1]).toMatch(/^held-out score 0\.000 → 1\.000; \d+ replays, cost 0\.00; [1-9]\d* candidates?; Pareto front \d+\.$/);
    expect(lines).toContain(`  octo-org/widgets#${issues[2]}: 0 → 1`);
    expect(lines).toContain("Accepted: held-out score 0.000 → 1.000 on 1 artifacts.");
    const proposed = Number(/^Proposed in octo-org\/widgets#(\d+)\.$/.exec(lines.at(-1) ?? "")?.[1]);
    const pull = s.double.pulls().find((p) => p.number === proposed);
    expect(pull?.pull?.head).toMatch(/^factory\/learn-prompts-builder-[0-9a-f]{12}$/);
    expect(pull?.body).toContain(`| octo-org/widgets#${issues[2]} | 0 | 1 |`);
    expect(pull?.body).toContain(`Searched on 2 artifacts (octo-org/widgets#${issues[0]}, octo-org/widgets#${issues[1]})`);
    const file = s.double.git.run(["show", `refs/heads/${pull?.pull?.head}:${promptOverridePath("builder")}`]);
    expect(file).toContain("Run the repository's formatter on what you changed.");
    expect(file).toContain("{{#criteria}}");
  }, REPLAYS_MS);

  it("a search that does not beat the current template on the held-out artifact is not proposed", async () => {
    // The reflection model changes nothing that matters: its template is no better.
    const idle = `const fs = require("fs"); fs.appendFileSync("${REFLECT_FILES.template}", "\\nBe careful.\\n");`;
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ ...JSON.parse(config()), cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"] }, reflect: { harness: "command", command: ["node", "-e", idle] } } })}\n`);
    await mergedArtifacts(3);
    const before = s.double.pulls().length;
    // A small budget is enough to show a search that finds nothing better proposes nothing.
    const { code, lines } = await runCli([...documented().filter((a) => a !== "--pr").map((a) => (a === "12" ? "6" : a)), "--trials", "1", "--pr", "--json"], ENV);
    expect(code).toBe(0);
    const result = JSON.parse(lines.at(-1) ?? "{}") as { accepted: boolean; reason: string; before: number; score: number };
    expect(result).toMatchObject({ accepted: false, before: 0, score: 0 });
    expect(result.reason).toMatch(/^not accepted/);
    expect(s.double.pulls()).toHaveLength(before);
  }, REPLAYS_MS);

  it("says what is missing: too few merged artifacts, no verify commands, no reflection model", async () => {
    s.double.writeFile(".github/factory.yml", config());
    await mergedArtifacts(2);
    await expect(learn()).rejects.toThrow("octo-org/widgets has 2 merged artifacts to replay; a search needs at least 3 (some to search on, later ones to judge)");
    s.double.writeFile(".github/factory.yml", config({ verify: { commands: [] } }));
    await expect(learn()).rejects.toThrow(/a replay with nothing to judge it would pass on no evidence/);
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["true"] } })}\n`);
    await expect(learn()).rejects.toThrow(/no reflection model is configured: set `cells.reflect.harness`/);
  });
});

describe("factory learn prompts usage errors", () => {
  it.each([
    [["learn", "prompts"], /--cell must name the cell whose prompt to learn \(builder\)/],
    [["learn", "prompts", "--cell", "scout"], /--cell scout: only the builder's prompt is learned/],
    [["learn", "prompts", "--cell", "builder"], /--repo must be owner\/name/],
    [["learn", "prompts", "--cell", "builder", "--repo", "o/r"], /--dir must name a local clone/],
    [["learn", "prompts", "--cell", "builder", "--repo", "o/r", "--dir", "/", "--budget", "0"], /--budget must be a whole number from 1 to 10000/],
    [["learn", "prompts", "--cell", "builder", "--repo", "o/r", "--dir", "/", "--max-cost", "0"], /--max-cost must be a positive number/],
    [["learn", "prompts", "--cell", "builder", "--repo", "o/r", "--dir", "/nonexistent-dir"], /\/nonexistent-dir is not a git repository/],
    [["learn", "teach"], /unknown learn target "teach" \(scout or prompts\)/],
  ])("%j throws a UsageError matching %s", async (argv, message) => {
    expect(await usageError(argv, ENV)).toMatch(message);
  });
});
