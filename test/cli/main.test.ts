import { execFile } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { baseUrl } from "../../src/cli/main.js";
import { configJsonSchema } from "../../src/config/schema.js";
import { GitHubDouble } from "@software-factory/github-double";
import { runCli, usageError as cliUsageError } from "../support/cli.js";
import { mountDouble } from "../support/github-nock.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

const ENV = { GITHUB_TOKEN: "ghp_test_token", FACTORY_STATE_SECRET: "test-state-secret" };
const LEDGER = ["ledger", "--repo", "octo-org/widgets"];

const run = (argv: string[], env: NodeJS.ProcessEnv = ENV) => runCli(argv, env);
const usageError = (argv: string[], env: NodeJS.ProcessEnv = ENV) => cliUsageError(argv, env);

describe("factory ledger, against the double the app wrote to", () => {
  let s: Scenario;
  useScenario((next) => {
    s = next;
  });

  async function startDarkMode(): Promise<{ issue: number; pr: number }> {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const pr = s.double.pulls()[0]?.number;
    if (pr === undefined) throw new Error("intake opened no PR");
    return { issue, pr };
  }

  it("--json prints each artifact's row: stage, status, owner, branch and PR", async () => {
    const { issue, pr } = await startDarkMode();
    const { code, lines } = await run([...LEDGER, "--json"]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual([
      {
        issue,
        title: "Add dark mode",
        stage: "build",
        status: "active",
        owner: "@alice",
        branch: `factory/${issue}-add-dark-mode`,
        pr: `#${pr}`,
        verification: "none",
        nextHandoff: expect.stringMatching(/\S/),
        age: "0m",
        opened: new Date().toISOString().slice(0, 10),
      },
    ]);
  });

  it("prints a table with a header line, and reads GH_TOKEN too", async () => {
    const { issue, pr } = await startDarkMode();
    const { lines } = await run(LEDGER, { GH_TOKEN: "ghp_other", FACTORY_STATE_SECRET: "test-state-secret" });
    const table = (lines[0] ?? "").split("\n");
    expect(table).toHaveLength(2);
    expect(table[0]).toMatch(/^ISSUE\s+STAGE\s+STATUS\s+OWNER\s+BRANCH\s+PR\s+VERIFY\s+NEXT\s+AGE$/);
    expect(table[1]).toMatch(new RegExp(`^#${issue}\\s+build\\s+active\\s+@alice\\s+factory/${issue}-add-dark-mode\\s+#${pr}\\s+none\\s+.+\\s0m$`));
  });

  it("trusts only records signed with the state secret by the app's own bot", async () => {
    await startDarkMode();
    const quiet = { ...ENV, LOG_LEVEL: "error" as const };
    const wrongSecret = await run(LEDGER, { ...quiet, FACTORY_STATE_SECRET: "not-the-secret" });
    expect(wrongSecret.lines).toEqual(["No factory artifacts in octo-org/widgets."]);
    const otherApp = await run([...LEDGER, "--app-slug", "another-app"], quiet);
    expect(otherApp.lines).toEqual(["No factory artifacts in octo-org/widgets."]);
  });

  it("says so when the repository has no artifacts", async () => {
    s.double.openIssue("alice", "Not for the factory", "plain issue");
    expect((await run(LEDGER)).lines).toEqual(["No factory artifacts in octo-org/widgets."]);
    expect((await run([...LEDGER, "--json"])).lines).toEqual(["[]"]);
  });

  it("stops on an invalid .github/factory.yml, naming the file and the problem", async () => {
    s.double.writeFile(".github/factory.yml", "maxBuildAttempts: 0\n");
    await expect(run(LEDGER)).rejects.toThrow(/\.github\/factory\.yml in octo-org\/widgets is invalid:\n {2}`maxBuildAttempts` must be at least 1/);
  });
});

describe("factory ledger on GitHub Enterprise Server", () => {
  it("derives the REST base URL the way Probot does", () => {
    expect(baseUrl({ GHE_HOST: "127.0.0.1:1234", GHE_PROTOCOL: "http" })).toBe("http://127.0.0.1:1234/api/v3");
    expect(baseUrl({ GHE_HOST: "ghe.example.com" })).toBe("https://ghe.example.com/api/v3");
    expect(baseUrl({})).toBeUndefined();
  });

  it("sends its requests to GHE_HOST", async () => {
    // Mounted only at the GHE address: a request to api.github.com would fail (no network).
    const double = new GitHubDouble();
    mountDouble(double, "http://127.0.0.1:1234");
    const { lines } = await run(LEDGER, { ...ENV, GHE_HOST: "127.0.0.1:1234", GHE_PROTOCOL: "http" });
    expect(lines).toEqual(["No factory artifacts in octo-org/widgets."]);
    expect(double.counts.get("GET /repos/{owner}/{repo}/issues")).toBe(1);
    expect(double.unrouted).toEqual([]);
    double.close();
  });
});

describe("usage errors", () => {
  it.each([
    [[], /no command given/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["ledger"], /--repo must be owner\/name/],
    [["ledger", "--repo", "widgets"], /--repo must be owner\/name/],
    [["ledger", "--repo", "octo-org/widgets/extra"], /--repo must be owner\/name/],
    [["ledger", "--repo"], /--repo/],
    [["ledger", "--repo", "octo-org/widgets", "--jsno"], /Unknown option '--jsno'/],
    [["ledger", "octo-org/widgets"], /octo-org\/widgets/],
  ])("%j throws a UsageError matching %s", async (argv, message) => {
    expect(await usageError(argv)).toMatch(message);
  });

  it("without a token, says which variable to set", async () => {
    expect(await usageError(LEDGER, { FACTORY_STATE_SECRET: "test-state-secret" })).toMatch(/set GITHUB_TOKEN \(or GH_TOKEN\)/);
  });
});

describe("factory schema", () => {
  it("prints the configuration's JSON Schema", async () => {
    const { code, lines } = await run(["schema"], {});
    expect(code).toBe(0);
    expect(JSON.parse(lines.join("\n"))).toEqual(configJsonSchema());
  });
});

describe("the factory bin", () => {
  const exec = promisify(execFile);
  const script = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
  const cleanEnv = { PATH: process.env.PATH ?? "" };

  it("runs when started through a symlink, the way npm installs bins", async () => {
    const link = join(mkdtempSync(join(tmpdir(), "factory-bin-")), "factory");
    symlinkSync(script, link);
    const { stdout } = await exec(process.execPath, ["--import", "tsx", link, "schema"], { env: cleanEnv });
    expect(JSON.parse(stdout)).toEqual(configJsonSchema());
  });

  it("exits 2 with the message and the usage text on a usage error", async () => {
    const failure = await exec(process.execPath, ["--import", "tsx", script, "ledger", "--repo", "nope"], { env: cleanEnv }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe("");
    expect(failure?.stderr).toMatch(/^factory: --repo must be owner\/name\n\nUsage:\n {2}factory ledger --repo owner\/name/);
  });
});
