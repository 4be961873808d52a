import { describe, expect, it } from "vitest";
import { checkOutput, loadContracts } from "../../src/cells/contracts.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const contract = loadContracts().get("scout");

function memoRecord(sb: Sandbox, pr: number) {
  const comment = sb.double.commentsOn(pr).find((c) => c.user.type === "Bot" && c.body.startsWith("### Scout memo"));
  const block = decodeBlocks(comment?.body)[0];
  return { comment, record: block?.ok ? (block.value as { kind: string; data: { stage: string; output: unknown } }) : undefined };
}

describe("the scout on a repository with tests, CI, owners and a contributing guide", () => {
  let sb: Sandbox;
  useSandbox(
    (next) => {
      sb = next;
    },
    {
      files: {
        "README.md": "# widgets\n",
        "package.json": `${JSON.stringify({ name: "widgets", scripts: { test: "vitest run", lint: "eslint ." } })}\n`,
        "src/theme.ts": "export function theme(settings: { dark?: boolean }) {\n  return settings.dark ? 'light' : 'light';\n}\n",
        "src/theme.test.ts": "import { theme } from './theme';\ntest('dark', () => expect(theme({ dark: true })).toBe('dark'));\n",
        "src/unrelated.ts": "export const unrelated = 1;\n",
        ".github/CODEOWNERS": "*.ts @octo-org/core\n/src/theme.ts @alice\n",
        "CONTRIBUTING.md": "# Contributing\n\n- Every change needs a test.\n- Run `npm run lint` before you push.\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm ci\n      - run: npm test\n",
      },
    },
  );

  it("posts a memo whose record validates against the contract, naming files, tests, owners, constraints and commands", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY.replace(/theme\(\{ dark: true \}\)/g, "`theme({ dark: true })`")).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const { comment, record } = memoRecord(sb, pr);
    expect(record?.kind).toBe("stage.completed");
    expect(record?.data.stage).toBe("scout");
    expect(contract && checkOutput(contract, record?.data.output)).toEqual({ ok: true });
    const body = comment?.body ?? "";
    expect(body).toMatch(/\| 1 \| `src\/theme\.(test\.)?ts` \|/);
    expect(body).toContain("`src/theme.test.ts` (covers `src/theme.ts`)");
    expect(body).toContain("focused: `npx vitest run src/theme.test.ts`");
    expect(body).toContain("`npm run lint` (package.json scripts.lint: eslint .)");
    expect(body).toContain("Every change needs a test. (CONTRIBUTING.md)");
    expect(body).toContain("`src/theme.ts`: @alice");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", attempts: { scout: 1 } });
  });

  it("/factory retry scout runs it again and posts a second memo", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    sb.comment(pr, "maintainer", "/factory retry scout");
    await sb.idle();
    const memos = sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### Scout memo"));
    expect(memos).toHaveLength(2);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", attempts: { scout: 2 } });
  });
});

describe("the scout on a bare repository", () => {
  let sb: Sandbox;
  useSandbox(
    (next) => {
      sb = next;
    },
    { files: { "main.py": "print('hello')\n" } },
  );

  it("still writes a memo, and says what it could not find", async () => {
    const issue = sb.openIssue("alice", "Greet by name", "### Success criteria\n\n- [ ] `main.py` prints the given name\n").number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const { comment, record } = memoRecord(sb, pr);
    expect(contract && checkOutput(contract, record?.data.output)).toEqual({ ok: true });
    const body = comment?.body ?? "";
    expect(body).toContain("`main.py`");
    for (const missing of ["no tests in the repository", "no CI workflow", "no README", "no CODEOWNERS", "no contributing guide or pull request template"]) {
      expect(body).toContain(missing);
    }
  });
});

describe("the scout with notes from earlier artifacts", () => {
  let sb: Sandbox;
  useSandbox(
    (next) => {
      sb = next;
    },
    {
      files: {
        "README.md": "# widgets\n",
        "src/palette.ts": "export const colours = ['#000', '#fff'];\n",
        "src/server.ts": "export const port = 8080;\n",
        ".factory/runs/2026-11-01-night-theme.json": `${JSON.stringify({ v: 1, artifact: "octo-org/widgets#7", title: "Night theme", goal: "A darker theme at night", criteria: [], changedFiles: ["src/palette.ts"] })}\n`,
        ".factory/runs/2026-11-02-broken.json": "{ not json\n",
      },
    },
  );

  it("starts from the files an earlier artifact on the same area changed, and says which note it could not read", async () => {
    const issue = sb.openIssue("alice", "Darker night theme", "### Success criteria\n\n- [ ] the night theme is darker\n").number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const { comment } = memoRecord(sb, sb.double.pulls()[0]?.number ?? 0);
    const body = comment?.body ?? "";
    expect(body).toMatch(/\| 1 \| `src\/palette\.ts` \| changed by an earlier artifact on the same area \(\.factory\/runs\/2026-11-01-night-theme\.json\)/);
    expect(body).not.toMatch(/\| \d+ \| `\.factory\/runs\//);
    expect(body).toContain("a readable post-run note in .factory/runs/2026-11-02-broken.json (not JSON)");
  });
});
