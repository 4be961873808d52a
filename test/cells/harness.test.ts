import { describe, expect, it } from "vitest";
import {
  DEFAULT_HARNESS_ENV,
  HARNESS_PRESETS,
  harnessArgv,
  harnessEnv,
  harnessFor,
  type HarnessVars,
} from "../../src/cells/harness.js";

const VARS: HarnessVars = {
  prompt: "Fix the dark theme",
  promptFile: "/tmp/job/scratch/prompt.md",
  workspace: "/tmp/job/work",
  outputFile: "/tmp/job/scratch/output.json",
  model: "some-model-1",
};

const NO_MODEL: HarnessVars = { ...VARS, model: undefined };

describe("harnessArgv: placeholders", () => {
  it("fills every placeholder, also inside a longer argument", () => {
    const argv = harnessArgv(
      ["agent", "--file={prompt_file}", "--cwd", "{workspace}", "--out={output_file}", "--model={model}", "say: {prompt}!", "{workspace}/src"],
      VARS,
    );
    expect(argv).toEqual([
      "agent",
      "--file=/tmp/job/scratch/prompt.md",
      "--cwd",
      "/tmp/job/work",
      "--out=/tmp/job/scratch/output.json",
      "--model=some-model-1",
      "say: Fix the dark theme!",
      "/tmp/job/work/src",
    ]);
  });

  it("fills several placeholders in one argument, and the same one twice", () => {
    expect(harnessArgv(["{workspace}:{output_file}:{workspace}"], VARS)).toEqual(["/tmp/job/work:/tmp/job/scratch/output.json:/tmp/job/work"]);
  });

  it("leaves unknown braces alone", () => {
    expect(harnessArgv(["{unknown}", "{ prompt }", "{}"], VARS)).toEqual(["{unknown}", "{ prompt }", "{}"]);
  });

  it("keeps shell syntax, quotes and newlines in a prompt as one literal argv element", () => {
    const prompt = "$(rm -rf /) `id` \"quoted\" 'single' ; echo hi && ls | cat > /etc/passwd\nsecond line\n$HOME ${PATH} \\ *";
    const argv = harnessArgv(["agent", "{prompt}", "--flag"], { ...VARS, prompt });
    expect(argv).toEqual(["agent", prompt, "--flag"]);
  });

  it("does not interpret replacement patterns ($&, $1, $$) in a value", () => {
    const prompt = "cost: $& $1 $$ $` $'";
    expect(harnessArgv(["--msg={prompt}"], { ...VARS, prompt })).toEqual([`--msg=${prompt}`]);
  });

  it("does not fill placeholders that appear inside a value (one pass only)", () => {
    const prompt = "write to {output_file} in {workspace} with {model}";
    expect(harnessArgv(["{prompt}"], { ...VARS, prompt })).toEqual([prompt]);
  });

  it("does not change the template it is given", () => {
    const template = ["agent", "--model", "{model}", "{prompt}"];
    const copy = [...template];
    harnessArgv(template, NO_MODEL);
    harnessArgv(template, VARS);
    expect(template).toEqual(copy);
  });
});

describe("harnessArgv: no model", () => {
  it("drops `--model {model}`, flag and value, and keeps the other arguments", () => {
    expect(harnessArgv(["agent", "--verbose", "--model", "{model}", "{prompt}", "--yes"], NO_MODEL)).toEqual(["agent", "--verbose", "Fix the dark theme", "--yes"]);
  });

  it("keeps `--model {model}` filled in when a model is set", () => {
    expect(harnessArgv(["agent", "--model", "{model}", "{prompt}"], VARS)).toEqual(["agent", "--model", "some-model-1", "Fix the dark theme"]);
  });

  it("drops `--model={model}` alone, keeping the argument before it", () => {
    expect(harnessArgv(["agent", "--verbose", "--model={model}", "{prompt}"], NO_MODEL)).toEqual(["agent", "--verbose", "Fix the dark theme"]);
  });

  it("drops a leading `{model}` without touching anything else", () => {
    expect(harnessArgv(["{model}", "agent"], NO_MODEL)).toEqual(["agent"]);
  });

  it("does not drop a non-flag argument before a positional `{model}`", () => {
    expect(harnessArgv(["agent", "run", "{model}"], NO_MODEL)).toEqual(["agent", "run"]);
  });
});

describe("HARNESS_PRESETS: the non-interactive argv each CLI needs", () => {
  const fill = (name: keyof typeof HARNESS_PRESETS, vars: HarnessVars = VARS) => harnessArgv(HARNESS_PRESETS[name].argv, vars);

  it("claude-code: print mode with the prompt, JSON output, no permission prompts, the model", () => {
    const argv = fill("claude-code");
    expect(argv[0]).toBe("claude");
    expect(argv[argv.indexOf("-p") + 1]).toBe(VARS.prompt);
    expect(argv[argv.indexOf("--output-format") + 1]).toBe("json");
    expect(argv).toContain("--dangerously-skip-permissions");
    expect(argv[argv.indexOf("--model") + 1]).toBe("some-model-1");
    expect(fill("claude-code", NO_MODEL)).toEqual(["claude", "-p", VARS.prompt, "--output-format", "json", "--dangerously-skip-permissions"]);
  });

  it("codex: `exec` with a workspace-write sandbox and the prompt last", () => {
    const argv = fill("codex");
    expect(argv.slice(0, 2)).toEqual(["codex", "exec"]);
    expect(argv[argv.indexOf("--sandbox") + 1]).toBe("workspace-write");
    expect(argv[argv.length - 1]).toBe(VARS.prompt);
    expect(fill("codex", NO_MODEL)).toEqual(["codex", "exec", "--sandbox", "workspace-write", "--skip-git-repo-check", VARS.prompt]);
  });

  it("aider: --yes-always and the prompt from a file, never the prompt text in argv", () => {
    const argv = fill("aider");
    expect(argv[0]).toBe("aider");
    expect(argv).toContain("--yes-always");
    expect(argv[argv.indexOf("--message-file") + 1]).toBe(VARS.promptFile);
    expect(argv).not.toContain(VARS.prompt);
    expect(fill("aider", NO_MODEL)).not.toContain("--model");
    expect(HARNESS_PRESETS.aider.commits).toBe(true);
  });

  it("gptme: --non-interactive with the prompt", () => {
    const argv = fill("gptme");
    expect(argv[0]).toBe("gptme");
    expect(argv).toContain("--non-interactive");
    expect(argv[argv.length - 1]).toBe(VARS.prompt);
    expect(fill("gptme", NO_MODEL)).toEqual(["gptme", "--non-interactive", VARS.prompt]);
  });

  it("opencode: `run` with the prompt", () => {
    expect(fill("opencode").slice(0, 2)).toEqual(["opencode", "run"]);
    expect(fill("opencode", NO_MODEL)).toEqual(["opencode", "run", VARS.prompt]);
  });

  it("every preset names itself, says how to install its CLI, and hands over the prompt", () => {
    for (const [key, preset] of Object.entries(HARNESS_PRESETS)) {
      expect(preset.name).toBe(key);
      expect(preset.install).toMatch(/install/);
      const argv = harnessArgv(preset.argv, VARS);
      expect(argv.includes(VARS.prompt) || argv.includes(VARS.promptFile)).toBe(true);
      // Nothing is left unfilled.
      expect(argv.join(" ")).not.toMatch(/\{(prompt|prompt_file|workspace|output_file|model)\}/);
    }
  });
});

describe("harnessFor", () => {
  it("is undefined when no harness is chosen", () => {
    expect(harnessFor({})).toBeUndefined();
    expect(harnessFor({ harness: undefined, command: ["node", "x.js"] })).toBeUndefined();
  });

  it("`command` takes its argv from the config", () => {
    const harness = harnessFor({ harness: "command", command: ["node", "agent.mjs", "{prompt_file}"] });
    expect(harness).toMatchObject({ name: "command", argv: ["node", "agent.mjs", "{prompt_file}"], commits: false });
    expect(harness?.costFrom).toBeUndefined();
  });

  it("`command` without an argv has no harness", () => {
    expect(harnessFor({ harness: "command" })).toBeUndefined();
  });

  it("a preset name gives that preset, ignoring any command", () => {
    expect(harnessFor({ harness: "codex", command: ["evil"] })).toBe(HARNESS_PRESETS.codex);
    expect(harnessFor({ harness: "claude-code" })).toBe(HARNESS_PRESETS["claude-code"]);
  });
});

describe("claude-code costFrom", () => {
  const costFrom = HARNESS_PRESETS["claude-code"].costFrom;
  if (!costFrom) throw new Error("claude-code has no costFrom");

  it("reads total_cost_usd from the last JSON line, after other output", () => {
    const stdout = ["warming up", '{"type":"progress","total_cost_usd":9}', '{"type":"result","result":"done","total_cost_usd":0.4321}', ""].join("\n");
    expect(costFrom(stdout)).toBe(0.4321);
  });

  it("tolerates trailing whitespace and CRLF", () => {
    expect(costFrom('{"total_cost_usd":1.5}\r\n\n  ')).toBe(1.5);
  });

  it("is undefined for junk, an empty output, a last line that is not JSON, or a cost that is not a number", () => {
    expect(costFrom("")).toBeUndefined();
    expect(costFrom("no json here")).toBeUndefined();
    expect(costFrom('{"total_cost_usd":2}\nthen some trailing text')).toBeUndefined();
    expect(costFrom('{"total_cost_usd":"0.5"}')).toBeUndefined();
    expect(costFrom('{"cost":0.5}')).toBeUndefined();
    expect(costFrom("[1,2,3]")).toBeUndefined();
    expect(costFrom("null")).toBeUndefined();
    expect(costFrom("{not json")).toBeUndefined();
  });
});

describe("harnessEnv", () => {
  const BASE = { PATH: "/usr/bin", HOME: "/tmp/home" };

  it("passes only what is requested and allowed, on top of the base", () => {
    const source = { FACTORY_HARNESS_ENV: "ANTHROPIC_API_KEY, EXTRA_ONE ,OTHER", ANTHROPIC_API_KEY: "sk-a", EXTRA_ONE: "1", OTHER: "o", NOT_REQUESTED: "x" };
    const result = harnessEnv(["ANTHROPIC_API_KEY", "EXTRA_ONE"], source, BASE);
    expect(result.env).toEqual({ PATH: "/usr/bin", HOME: "/tmp/home", ANTHROPIC_API_KEY: "sk-a", EXTRA_ONE: "1" });
    expect(result.refused).toEqual([]);
    expect(result.missing).toEqual([]);
  });

  it("refuses what the operator does not allow, even when it is set", () => {
    const source = { FACTORY_HARNESS_ENV: "OPENAI_API_KEY", OPENAI_API_KEY: "sk-o", ANTHROPIC_API_KEY: "sk-a", HOME_SECRET: "h" };
    const result = harnessEnv(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HOME_SECRET"], source, BASE);
    expect(result.env).toEqual({ ...BASE, OPENAI_API_KEY: "sk-o" });
    expect(result.refused).toEqual(["ANTHROPIC_API_KEY", "HOME_SECRET"]);
  });

  it("allows the model-provider keys by default when FACTORY_HARNESS_ENV is unset", () => {
    const source: Record<string, string> = { SOMETHING_ELSE: "s" };
    for (const name of DEFAULT_HARNESS_ENV) source[name] = `value-of-${name}`;
    const result = harnessEnv([...DEFAULT_HARNESS_ENV, "SOMETHING_ELSE"], source, BASE);
    for (const name of DEFAULT_HARNESS_ENV) expect(result.env[name]).toBe(`value-of-${name}`);
    expect(result.env.SOMETHING_ELSE).toBeUndefined();
    expect(result.refused).toEqual(["SOMETHING_ELSE"]);
  });

  it("an empty FACTORY_HARNESS_ENV allows nothing, not the defaults", () => {
    const result = harnessEnv(["ANTHROPIC_API_KEY"], { FACTORY_HARNESS_ENV: "", ANTHROPIC_API_KEY: "sk-a" }, BASE);
    expect(result.env).toEqual(BASE);
    expect(result.refused).toEqual(["ANTHROPIC_API_KEY"]);
  });

  it("reports allowed variables that are not set on the runner as missing", () => {
    const result = harnessEnv(["ANTHROPIC_API_KEY", "OPENAI_API_KEY"], { OPENAI_API_KEY: "sk-o" }, BASE);
    expect(result.missing).toEqual(["ANTHROPIC_API_KEY"]);
    expect(result.refused).toEqual([]);
    expect(result.env).toEqual({ ...BASE, OPENAI_API_KEY: "sk-o" });
  });

  it("passes an allowed variable set to the empty string", () => {
    expect(harnessEnv(["OPENAI_API_KEY"], { OPENAI_API_KEY: "" }, BASE).env.OPENAI_API_KEY).toBe("");
  });

  it("never passes the app's own secrets, even when the operator allows them", () => {
    const secrets = [
      "PRIVATE_KEY",
      "PRIVATE_KEY_PATH",
      "WEBHOOK_SECRET",
      "APP_ID",
      "GITHUB_CLIENT_SECRET",
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "NPM_TOKEN",
      "NODE_AUTH_TOKEN",
      "REDIS_URL",
      "SSH_AUTH_SOCK",
      "GIT_ASKPASS",
      "GIT_CONFIG_COUNT",
      "GIT_CONFIG_KEY_0",
      "GIT_CONFIG_VALUE_0",
      "GIT_CONFIG_PARAMETERS",
      "WEBHOOK_PROXY_URL",
    ];
    const source: Record<string, string> = { FACTORY_HARNESS_ENV: secrets.join(",") };
    for (const name of secrets) source[name] = `secret-${name}`;
    const result = harnessEnv(secrets, source, BASE);
    expect(result.env).toEqual(BASE);
    expect(result.refused).toEqual(secrets);
    expect(JSON.stringify(result.env)).not.toContain("secret-");
  });

  // The key that signs the state records (src/state/sign.ts): with it a harness could forge records.
  it("never passes the state-signing secret FACTORY_STATE_SECRET, even when the operator allows it", () => {
    const source = { FACTORY_HARNESS_ENV: "FACTORY_STATE_SECRET", FACTORY_STATE_SECRET: "state-key" };
    const result = harnessEnv(["FACTORY_STATE_SECRET"], source, BASE);
    expect(result.env).toEqual(BASE);
    expect(result.refused).toEqual(["FACTORY_STATE_SECRET"]);
  });

  it("does not change the base it is given", () => {
    const base = { ...BASE };
    harnessEnv(["OPENAI_API_KEY"], { OPENAI_API_KEY: "sk-o" }, base);
    expect(base).toEqual(BASE);
  });
});
