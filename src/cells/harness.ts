import type { HarnessName } from "../config/schema.js";

/**
 * Harnesses: declarative adapters for coding-agent CLIs. Each is an argv template
 * with the flags that make its CLI run unattended, to completion, in the current
 * directory. The factory fills the placeholders and runs the argv without a shell,
 * so nothing in a prompt or a path is ever interpreted.
 *
 * Placeholders: `{prompt}` (the prompt text), `{prompt_file}` (a file holding it,
 * outside the workspace), `{workspace}`, `{output_file}` (where a harness may write
 * a JSON report: `{ "costUsd": 0.12, "summary": "…" }`) and `{model}`. An argument
 * that names `{model}` is dropped, with the flag before it, when no model is set.
 */
export interface HarnessPreset {
  name: HarnessName;
  argv: readonly string[];
  /** Reads the cost the CLI reports, from its stdout, when it reports one. */
  costFrom?: (stdout: string) => number | undefined;
  /** Whether the CLI commits by itself; otherwise the factory commits what it left. */
  commits: boolean;
  /** Executable the operator must have installed, for the error when it is missing. */
  install?: string;
}

/** Claude Code with `--output-format json` ends with one JSON object that carries `total_cost_usd`. */
function claudeCost(stdout: string): number | undefined {
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last) as { total_cost_usd?: unknown };
    return typeof parsed.total_cost_usd === "number" ? parsed.total_cost_usd : undefined;
  } catch {
    return undefined;
  }
}

export const HARNESS_PRESETS: Record<Exclude<HarnessName, "command">, HarnessPreset> = {
  gptme: {
    name: "gptme",
    argv: ["gptme", "--non-interactive", "--model", "{model}", "{prompt}"],
    commits: false,
    install: "pipx install gptme",
  },
  "claude-code": {
    name: "claude-code",
    argv: ["claude", "-p", "{prompt}", "--output-format", "json", "--dangerously-skip-permissions", "--model", "{model}"],
    costFrom: claudeCost,
    commits: false,
    install: "npm install -g @anthropic-ai/claude-code",
  },
  codex: {
    name: "codex",
    argv: ["codex", "exec", "--sandbox", "workspace-write", "--skip-git-repo-check", "--model", "{model}", "{prompt}"],
    commits: false,
    install: "npm install -g @openai/codex",
  },
  aider: {
    name: "aider",
    argv: ["aider", "--yes-always", "--no-stream", "--no-pretty", "--no-check-update", "--message-file", "{prompt_file}", "--model", "{model}"],
    commits: true,
    install: "pipx install aider-chat",
  },
  opencode: {
    name: "opencode",
    argv: ["opencode", "run", "--model", "{model}", "{prompt}"],
    commits: false,
    install: "npm install -g opencode-ai",
  },
};

/** For messages: the harness names a config may use. */
export const HARNESSES_HELP = "one of `claude-code`, `codex`, `aider`, `gptme`, `opencode`, or `command` with `command: [argv…]`";

export interface HarnessVars {
  prompt: string;
  promptFile: string;
  workspace: string;
  outputFile: string;
  model: string | undefined;
}

/** The harness for a cell's configuration; `command` takes its argv from the config. */
export function harnessFor(choice: { harness?: HarnessName | undefined; command?: string[] | undefined }): HarnessPreset | undefined {
  if (!choice.harness) return undefined;
  if (choice.harness === "command") return choice.command ? { name: "command", argv: choice.command, commits: false } : undefined;
  return HARNESS_PRESETS[choice.harness];
}

/** Fills an argv template. Each placeholder is replaced inside its argument; no shell ever sees the result. */
export function harnessArgv(argv: readonly string[], vars: HarnessVars): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg.includes("{model}") && vars.model === undefined) {
      // `--model {model}` without a model: drop the flag too, so the CLI uses its default.
      if (out.length > 0 && out[out.length - 1]?.startsWith("-") && arg === "{model}") out.pop();
      continue;
    }
    out.push(
      arg.replace(/\{(prompt_file|prompt|workspace|output_file|model)\}/g, (_, name: string) => {
        switch (name) {
          case "prompt":
            return vars.prompt;
          case "prompt_file":
            return vars.promptFile;
          case "workspace":
            return vars.workspace;
          case "output_file":
            return vars.outputFile;
          default:
            return vars.model ?? "";
        }
      }),
    );
  }
  return out;
}

/** Environment variables a harness never receives, whatever a repository's config asks for: the app's own secrets. */
export const NEVER_PASSED = /^(PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_SECRET|WEBHOOK_PROXY_URL|APP_ID|GITHUB_CLIENT_SECRET|GITHUB_CLIENT_ID|FACTORY_STATE_SECRET|FACTORY_STATE_KEY|REDIS_URL|GH_TOKEN|GITHUB_TOKEN|NPM_TOKEN|NODE_AUTH_TOKEN|GIT_ASKPASS|SSH_AUTH_SOCK|GIT_CONFIG_.*)$/;

/** Model-provider keys an operator commonly runs agents with: allowed unless `FACTORY_HARNESS_ENV` says otherwise. */
export const DEFAULT_HARNESS_ENV = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "MISTRAL_API_KEY", "DEEPSEEK_API_KEY"];

/**
 * The harness's environment: a minimal base, plus the variables the repository asks
 * for that the operator allows (`FACTORY_HARNESS_ENV`, comma-separated) and that are
 * not the app's own secrets. Returns what was refused, so the summary can say so.
 */
export function harnessEnv(
  requested: readonly string[],
  source: NodeJS.ProcessEnv,
  base: Record<string, string>,
): { env: Record<string, string>; refused: string[]; missing: string[] } {
  const allowed = new Set(
    source.FACTORY_HARNESS_ENV !== undefined
      ? source.FACTORY_HARNESS_ENV.split(",").map((s) => s.trim()).filter(Boolean)
      : DEFAULT_HARNESS_ENV,
  );
  const env: Record<string, string> = { ...base };
  const refused: string[] = [];
  const missing: string[] = [];
  for (const name of requested) {
    if (NEVER_PASSED.test(name) || !allowed.has(name)) refused.push(name);
    else if (source[name] === undefined) missing.push(name);
    else env[name] = source[name];
  }
  return { env, refused, missing };
}
