import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { traceLine, type TraceLine } from "../../src/stages/learn/traces.js";
import { runCli, usageError as cliUsageError } from "../support/cli.js";
import { useScenario, type Scenario } from "../support/scenario.js";
import { deliverFromDouble, intakeAndWait, mergeByHand, ScriptedRunner } from "../support/scripted-line.js";

const TOKEN = "ghp_test_token";
const SECRET = "test-state-secret";
const ENV = { GITHUB_TOKEN: TOKEN, FACTORY_STATE_SECRET: SECRET };
const EXPORT = ["traces", "export", "--repo", "octo-org/widgets"];

const CONFIG = `${JSON.stringify({
  cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"] } },
  verify: { commands: ["npm test"], ciGraceMinutes: 0 },
})}\n`;

const FAILURE = { test: "default is the light theme", message: "Expected values to be strictly equal", file: "test/theme.test.js", line: 9, lines: ["+ 'dark'", "- 'light'"] };

let s: Scenario;
/** Build n of the artifact changes the theme (its last lines echo the token and the secret, as a careless harness might); the first verify fails a test. */
const runner = new ScriptedRunner(() => s, {
  build: (n) => ({
    files: { "src/theme.js": `export const theme = (s) => (s.dark ? "dark" : "light"); // ${n}\n` },
    subject: `Dark theme, take ${n}`,
    lastLines: [`GITHUB_TOKEN=${TOKEN}`, `FACTORY_STATE_SECRET=${SECRET}`],
    refusedEnv: ["FACTORY_STATE_SECRET"],
  }),
  verifyFailure: (n) => (n === 1 ? FAILURE : undefined),
});

const run = (argv: string[], env: NodeJS.ProcessEnv = ENV) => runCli(argv, env);

/**
 * The whole line on one artifact: scouted; build 1 breaks a test and the verifier
 * fails it; build 2 passes, then a maintainer requests a change on a line; build 3
 * passes; the PR is merged and the analyst writes the post-run note.
 */
async function runTheLine(): Promise<{ issue: number; pr: number }> {
  s.double.writeFile(".github/factory.yml", CONFIG);
  const { issue, pr } = await intakeAndWait(s, "Add dark mode");
  await deliverFromDouble(
    s,
    () => s.double.review(pr, "maintainer", { state: "REQUEST_CHANGES", body: "Close; one thing.", comments: [{ path: "src/theme.js", line: 1, body: "Name the themes in constants." }] }),
    (e) => e.name === "pull_request_review",
  );
  await mergeByHand(s, pr);
  return { issue, pr };
}

describe("factory traces export, against the double the app ran a line on", () => {
  useScenario((next) => void (s = next), { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } });

  it("writes one line per cell run, each fitting the schema, with the verifier's failure as the first build's feedback", async () => {
    const { issue, pr } = await runTheLine();
    const { code, lines } = await run(EXPORT);
    expect(code).toBe(0);
    const traces = lines.map((line) => traceLine.parse(JSON.parse(line)) as TraceLine);
    expect(traces.map((t) => [t.cell, t.attempt, t.score])).toEqual([
      ["scout", 1, expect.any(Number)],
      ["builder", 1, 0],
      ["verifier", 1, 0],
      ["builder", 2, 0],
      ["verifier", 2, 1],
      ["builder", 3, 1],
      ["verifier", 3, 1],
    ]);
    expect(new Set(traces.map((t) => t.artifact))).toEqual(new Set([`octo-org/widgets#${issue}`]));

    const [first, second, third] = traces.filter((t) => t.cell === "builder");
    expect(first?.feedback).toContain("default is the light theme: Expected values to be strictly equal at test/theme.test.js:9");
    expect(first?.signals.verdict?.verdict).toBe("fail");
    expect(first?.run).toMatch(/^build-/);
    // What the second build was told: the failure, as its prompt had it.
    expect(second?.cell === "builder" && second.inputs.feedback.map((f) => f.source)).toEqual(["The verifier failed the last build"]);
    expect(second?.signals.reviews?.[0]?.comments.map((c) => [c.path, c.body])).toEqual([["src/theme.js", "Name the themes in constants."]]);
    expect(second?.feedback).toContain("@maintainer requested changes:\nClose; one thing.\n- `src/theme.js");
    expect(third).toMatchObject({ score: 1, signals: { verdict: { verdict: "pass" }, outcome: "merged" } });
    expect(third?.cell === "builder" && third.outputs).toMatchObject({ outcome: "completed", files: ["src/theme.js"], insertions: 1, commits: [{ subject: "Dark theme, take 3" }] });
    const [scout] = traces;
    expect(scout?.signals).toMatchObject({ outcome: "merged", changed: ["src/theme.js"] });

    // The harness's summary echoed the token and the secret: the records keep its last lines, a trace does not.
    expect(s.double.commentsOn(pr).some((c) => c.body.includes(TOKEN) && c.body.includes(SECRET))).toBe(true);
    const text = lines.join("\n");
    for (const secret of [TOKEN, SECRET, "lastLines", "refusedEnv", "FACTORY_STATE_SECRET", "\"sig\""]) expect(text).not.toContain(secret);
  });

  it("--out writes the lines to a file; --since keeps runs started that day or later; only the state secret's records count", async () => {
    await runTheLine();
    const dir = mkdtempSync(join(tmpdir(), "factory-traces-"));
    try {
      const file = join(dir, "traces.jsonl");
      const today = new Date().toISOString().slice(0, 10);
      const { lines } = await run([...EXPORT, "--since", today, "--out", file]);
      expect(lines).toEqual([`Wrote 7 traces from octo-org/widgets to ${file}.`]);
      const written = readFileSync(file, "utf8");
      expect(written.endsWith("\n")).toBe(true);
      expect(written.trim().split("\n").map((l) => traceLine.safeParse(JSON.parse(l)).success)).toEqual(Array(7).fill(true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await run([...EXPORT, "--since", tomorrow])).lines).toEqual([]);
    expect((await run(EXPORT, { ...ENV, FACTORY_STATE_SECRET: "not-the-secret", LOG_LEVEL: "silent" })).lines).toEqual([]);
  });

});

describe("factory traces usage errors", () => {
  const usageError = (argv: string[], env: NodeJS.ProcessEnv = ENV) => cliUsageError(argv, env);

  it.each([
    [["traces"], /traces what\? \(export\)/],
    [["traces", "import"], /unknown traces action "import"/],
    [["traces", "export"], /--repo must be owner\/name/],
    [["traces", "export", "--repo", "widgets"], /--repo must be owner\/name/],
    [[...EXPORT, "--since", "yesterday"], /--since must be a date, YYYY-MM-DD \(got "yesterday"\)/],
    [[...EXPORT, "--since", "2026-02-30"], /--since must be a date/],
    [[...EXPORT, "--out", ""], /--out must name a file/],
    [[...EXPORT, "--json"], /Unknown option '--json'/],
  ])("%j throws a UsageError matching %s", async (argv, message) => {
    expect(await usageError(argv)).toMatch(message);
  });

  it("without a token, says which variable to set", async () => {
    expect(await usageError(EXPORT, { FACTORY_STATE_SECRET: SECRET })).toMatch(/set GITHUB_TOKEN \(or GH_TOKEN\)/);
  });
});
