import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The layer rule in eslint.config.js (ARCHITECTURE.md, "Layers") is what `npm run lint` keeps: each case is
// an import written into a file of that layer, and whether the rule lets it through.
const eslint = new ESLint({ cwd: process.cwd() });

async function refused(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = [x];\n`, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports").map((m) => m.message);
}

describe("the layers lint rule", () => {
  it.each([
    ["src/state/x.ts", 'import { RepoPort as x } from "../github/repo-port.js";', /the core imports only the core/],
    ["src/line/x.ts", 'import { execFile as x } from "node:child_process";', /the core is pure/],
    ["src/ports/x.ts", 'import type { Probot as x } from "probot";', /the core is pure/],
    ["src/cells/x.ts", 'import { runBuild as x } from "../stages/build/run-build.js";', /an adapter does not import orchestration/],
    ["src/github/x.ts", 'import { dispatch as x } from "../events/dispatch.js";', /an adapter does not import orchestration/],
    ["src/stages/x.ts", 'import { lineEvent as x } from "../events/line-event.js";', /a stage does not import the event handlers/],
    ["src/events/x.ts", 'import { startSandbox as x } from "../sandbox/sandbox.js";', /does not import the GitHub double/],
    ["src/views/x.ts", 'import { GitHubDouble as x } from "@software-factory/github-double";', /does not import the GitHub double/],
  ])("refuses in %s: %s", async (file, source, message) => {
    expect(await refused(file, source)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ["src/state/x.ts", 'import type { ThreadsPort as x } from "../ports/github.js";'],
    ["src/cells/x.ts", 'import type { ScoutMemo as x } from "../stages/scout/memo.js";'],
    ["src/stages/x.ts", 'import { RepoPort as x } from "../github/repo-port.js";'],
    ["src/events/x.ts", 'import { runIntake as x } from "../stages/intake/run-intake.js";'],
    ["src/sandbox/x.ts", 'import { GitHubDouble as x } from "@software-factory/github-double";'],
  ])("lets through in %s: %s", async (file, source) => {
    expect(await refused(file, source)).toEqual([]);
  });
});
