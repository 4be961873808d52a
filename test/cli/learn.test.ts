import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { beforeAll, describe, expect, it } from "vitest";
import { RepoPort } from "../../src/github/repo-port.js";
import { WEIGHTS } from "../../src/stages/scout/localize.js";
import { parseScoutFile, SCOUT_FILE } from "../../src/stages/scout/scout-file.js";
import { runCli, usageError } from "../support/cli.js";
import { useScenario, type Scenario } from "../support/scenario.js";

const ENV = { GITHUB_TOKEN: "ghp_test_token" };
const TOPICS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray"];

/**
 * A real git repository whose history favours history: each topic has eleven notes
 * named after it, and its fixes ("fix <topic>-handling …") go to a module named
 * otherwise, three times each, round-robin. The defaults rank the notes first;
 * weights fitted on this history find the module.
 */
function historyFavouringRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "learn-scout-"));
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "dev@example.com");
  git("config", "user.name", "Dev");
  TOPICS.forEach((topic, i) => {
    for (let k = 0; k < 11; k++) {
      mkdirSync(join(dir, `d${k}`), { recursive: true });
      writeFileSync(join(dir, `d${k}`, `${topic}-handling.md`), `# ${topic}-handling\n\nNotes on ${topic}-handling.\n`);
    }
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "src", `module${i}.js`), `export function handle${i}(input) { return input; }\n`);
  });
  git("add", "-A");
  git("commit", "-q", "-m", "Initial layout");
  for (let n = 0; n < 3; n++) {
    TOPICS.forEach((topic, i) => {
      writeFileSync(join(dir, "src", `module${i}.js`), `export function handle${i}(input) { return input; }\n// fix ${n}\n`);
      git("commit", "-q", "-am", `fix ${topic}-handling edge case ${n}`);
    });
  }
  return dir;
}

const run = (argv: string[], env: NodeJS.ProcessEnv = ENV) => runCli(argv, env);

let repoDir: string;
beforeAll(() => {
  repoDir = historyFavouringRepo();
});

describe("factory learn scout", () => {
  it("fits on the older changes, keeps the weights because the later ones rise, and writes .factory/scout.json", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "learn-out-")), "scout.json");
    const { code, lines } = await run(["learn", "scout", "--dir", repoDir, "--out", out]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^Fitted on 48 past changes, judged on the 24 after them \(of 72 usable, up to [0-9a-f]{12}\)/);
    expect(lines[2]).toMatch(/^Kept: held-out recall@10 0\.\d{3} → 1\.000 on 24 later changes/);
    const parsed = parseScoutFile(readFileSync(out, "utf8"));
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(parsed.file.weights.history).toBeGreaterThan(WEIGHTS.history);
    expect(parsed.file.fitted).toMatchObject({ fitCases: 48, heldOutCases: 24, heldOutAfter: 1, margin: 0.02 });
  });

  it("--json says what was decided; with too little history to judge by, nothing is written", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "learn-out-")), "scout.json");
    // Twelve fixes in: too few to fit on and hold some out.
    const { code, lines } = await run(["learn", "scout", "--dir", repoDir, "--commit", "HEAD~60", "--out", out, "--json"]);
    expect(code).toBe(0);
    const result = JSON.parse(lines[0] ?? "") as { accepted: boolean; reason: string; file: { weights: unknown } };
    expect(result.accepted).toBe(false);
    expect(result.reason).toBe("not enough past changes to fit on: 12 usable (at least 18 needed)");
    expect(result.file.weights).toEqual(WEIGHTS);
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  });

  it("refuses what it cannot use, saying what to give instead", async () => {
    const refused = (argv: string[], env: NodeJS.ProcessEnv = ENV) => usageError(argv, env);
    expect(await refused(["learn"])).toBe("learn what? (scout or prompts)");
    expect(await refused(["learn", "weights"])).toMatch(/unknown learn target "weights"/);
    expect(await refused(["learn", "scout"])).toMatch(/--dir must name a local clone/);
    expect(await refused(["learn", "scout", "--dir", tmpdir()])).toMatch(/is not a git repository/);
    expect(await refused(["learn", "scout", "--dir", repoDir, "--margin", "lots"])).toMatch(/--margin must be a number/);
    expect(await refused(["learn", "scout", "--dir", repoDir, "--pr"])).toBe("--repo must be owner/name");
    expect(await refused(["learn", "scout", "--dir", repoDir, "--pr", "--repo", "octo-org/widgets"], {})).toMatch(/set GITHUB_TOKEN/);
  });
});

describe("factory learn scout --pr, against the double", () => {
  let s: Scenario;
  useScenario((next) => {
    s = next;
  });

  it("proposes .factory/scout.json in a pull request with the before and after figures (the README's command); running it again finds the same PR", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const documented = /^factory (learn scout [^#\n]+)/m.exec(readme)?.[1]?.trim().split(/\s+/) ?? [];
    expect(documented).toEqual(["learn", "scout", "--dir", "path/to/clone", "--pr", "--repo", "owner/name"]);
    const first = await run(documented.map((arg) => (arg === "path/to/clone" ? repoDir : arg === "owner/name" ? "octo-org/widgets" : arg)));
    expect(first.code).toBe(0);
    expect(first.lines.at(-1)).toMatch(/^Proposed in octo-org\/widgets#\d+\.$/);
    const [pull] = s.double.pulls();
    expect(pull?.title).toBe("chore(factory): calibrate the scout to this repository");
    expect(pull?.body).toMatch(/\| \*\*held out \(later\)\*\* \| \*\*0\.\d{3}\*\* \| \*\*1\.000\*\* \| 24 \|/);
    expect(pull?.body).toMatch(/\| history \| 0\.9 \| \d/);
    const port = new RepoPort(new ProbotOctokit({ auth: { token: ENV.GITHUB_TOKEN } }), { owner: "octo-org", repo: "widgets" });
    const branch = pull?.pull?.head as string;
    expect(branch).toMatch(/^factory\/learn-scout-[0-9a-f]{12}$/);
    const parsed = parseScoutFile((await port.readFile(SCOUT_FILE, branch)) ?? "");
    expect(parsed.ok).toBe(true);

    const again = await run(["learn", "scout", "--dir", repoDir, "--pr", "--repo", "octo-org/widgets"]);
    expect(again.lines.at(-1)).toBe(first.lines.at(-1));
    expect(s.double.pulls()).toHaveLength(1);
    // Two calibrations of a 120-change history, CPU-bound: about 18 s alone on 2 cores, more beside the other files.
  }, 150_000);
});
