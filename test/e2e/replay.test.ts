import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Box } from "../../src/cells/box.js";
import { contractFor, loadContracts } from "../../src/cells/contracts.js";
import { botIdentity, Workspace } from "../../src/cells/workspace.js";
import { configSchema } from "../../src/config/schema.js";
import { searchPrompt } from "../../src/stages/learn/prompt-search.js";
import { harnessReflection, REFLECT_FILES } from "../../src/stages/learn/reflect.js";
import { checkBase, replayArtifact, replaySetupProblem, type ReplayCase, type ReplaySetup } from "../../src/stages/learn/replay.js";

/**
 * Replays with real processes: a repository in a real git directory, the builder's
 * harness (a script in the repository) and the verify commands run in the box, the
 * merged change's tests written over the tree before they run.
 */

/** The scripted agent: it reads the rendered prompt and does what it says (formats only when told; cheats when told). */
const AGENT = `
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
const prompt = readFileSync(process.argv[2], "utf8");
if (prompt.includes("EXIT 3")) { console.error("the model is not reachable"); process.exit(3); }
if (prompt.includes("Do nothing")) process.exit(0);
if (prompt.includes("Write a test that passes")) {
  mkdirSync("test", { recursive: true });
  writeFileSync("test/add.test.js", "import { test } from 'node:test';\\ntest('fine', () => {});\\n");
  process.exit(0);
}
const formats = /run the repository's formatter/i.test(prompt);
writeFileSync("src/add.js", "export function add(a, b) {" + (formats ? "" : "   ") + "\\n  return a + b;\\n}\\n");
`;

/** The repository's format check: no trailing whitespace in src/. */
const CHECK_FORMAT = `
import { readdirSync, readFileSync } from "node:fs";
let bad = 0;
for (const f of readdirSync("src")) readFileSync("src/" + f, "utf8").split("\\n").forEach((l, i) => { if (/\\s+$/.test(l)) { console.error("src/" + f + ":" + (i + 1) + ": trailing whitespace"); bad++; } });
if (bad) { console.error(bad + " line(s) not formatted: run the formatter"); process.exit(1); }
`;

const MERGED_TEST = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from '../src/add.js';\n\ntest('adds two numbers', () => {\n  assert.equal(add(2, 3), 5);\n});\n";

const FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "calc", type: "module" })}\n`,
  "src/add.js": "export function add(a, b) {\n  return a - b;\n}\n",
  "agent.mjs": AGENT,
  "check-format.mjs": CHECK_FORMAT,
};

let root: string;
let gitDir: string;
let base: string;

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } }).trim();
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "factory-replay-test-"));
  const work = join(root, "clone");
  mkdirSync(work);
  git(["init", "--quiet", "--initial-branch=main"], work);
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  git(["add", "--all"], work);
  git(["commit", "--quiet", "-m", "calc"], work);
  base = git(["rev-parse", "HEAD"], work);
  gitDir = join(work, ".git");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = configSchema.parse({
  cells: {
    build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"], timeoutMinutes: 1 },
    // The reflection model: adds the instruction the feedback asks for, to the template it is given.
    reflect: {
      harness: "command",
      timeoutMinutes: 1,
      command: [
        "node",
        "-e",
        `const fs = require("fs"); const f = fs.readFileSync("${REFLECT_FILES.feedback}", "utf8"); let t = fs.readFileSync("${REFLECT_FILES.template}", "utf8");
         if (/run the formatter/.test(f) && !/formatter/.test(t)) t = t.trimEnd() + "\\n\\nRun the repository's formatter on what you changed.\\n";
         fs.writeFileSync("${REFLECT_FILES.template}", t);`,
      ],
    },
  },
  verify: { commands: ["node check-format.mjs", "node --test"], timeoutMinutes: 1 },
});

const builder = contractFor(loadContracts(), "build");
if (!builder?.prompt) throw new Error("no builder contract");
const TEMPLATE = builder.prompt;

function setup(): ReplaySetup {
  return { gitDir, repo: "acme/calc", box: Box.fromEnv({}), env: { PATH: process.env.PATH }, contract: builder as NonNullable<typeof builder>, config };
}

function caseOf(n: number, tests: Record<string, string> = { "test/add.test.js": MERGED_TEST }): ReplayCase {
  return {
    id: `acme/calc#${n}`,
    pr: n + 100,
    base,
    merged: base,
    mergedAt: new Date(Date.UTC(2026, 10, n)).toISOString(),
    tests,
    input: { artifact: `acme/calc#${n}`, title: "add() subtracts", goal: "add(a, b) returns the sum.", criteria: ["add(2, 3) is 5"], branch: `factory/${n}-add`, attempt: 1 },
  };
}

describe("replaying a merged artifact under a template", () => {
  it("scores 0 with the format check's failure as feedback when the prompt does not say to format; 1 when it does", async () => {
    const without = await replayArtifact(setup(), TEMPLATE, caseOf(1));
    expect(without.score).toBe(0);
    expect(without.feedback).toContain("Command `node check-format.mjs` failed");
    expect(without.feedback).toContain("run the formatter");
    expect(without.feedback).toContain("with the merged change's tests (`test/add.test.js`)");

    const told = await replayArtifact(setup(), `${TEMPLATE}\nRun the repository's formatter on what you changed.\n`, caseOf(1));
    expect(told).toMatchObject({ score: 1 });
    expect(told.feedback).toBe("Verified: `node check-format.mjs`, `node --test`, with the merged change's tests (`test/add.test.js`) passed.");
  });

  it("judges by the merged change's tests, written over what the harness left at their paths", async () => {
    const cheat = await replayArtifact(setup(), `${TEMPLATE}\nWrite a test that passes.\n`, caseOf(2));
    expect(cheat.score).toBe(0);
    expect(cheat.feedback).toContain("Command `node --test` failed");
    // Without the merged test, the harness's own test would have passed: the judge is the merged change's.
    const unjudged = await replayArtifact(setup(), `${TEMPLATE}\nWrite a test that passes.\n`, caseOf(2, {}));
    expect(unjudged.score).toBe(1);
  });

  it("a harness that fails or changes nothing scores 0, saying why", async () => {
    const failed = await replayArtifact(setup(), `${TEMPLATE}\nEXIT 3\n`, caseOf(3));
    expect(failed).toMatchObject({ score: 0 });
    expect(failed.feedback).toMatch(/^The harness exited with code 3\.\n[\s\S]*the model is not reachable/);
    const idle = await replayArtifact(setup(), `${TEMPLATE}\nDo nothing.\n`, caseOf(3));
    expect(idle).toEqual({ score: 0, feedback: "The harness exited 0 without changing anything." });
  });

  it("leaves the clone it replays from as it was", async () => {
    const before = git(["for-each-ref", "--format=%(refname) %(objectname)"], join(root, "clone"));
    await replayArtifact(setup(), TEMPLATE, caseOf(4));
    expect(git(["for-each-ref", "--format=%(refname) %(objectname)"], join(root, "clone"))).toBe(before);
    expect(git(["status", "--porcelain"], join(root, "clone"))).toBe("");
  });

  it("says what to fetch when the clone lacks a case's base, and refuses a setup with nothing to judge by", async () => {
    expect(await checkBase(gitDir, caseOf(5))).toBeUndefined();
    expect(await checkBase(gitDir, { ...caseOf(5), base: "0123456789abcdef0123456789abcdef01234567" })).toBe(`${gitDir} does not have 0123456789ab, where acme/calc#5 started: fetch the default branch into it first`);
    expect(replaySetupProblem({ config: { ...config, verify: { ...config.verify, commands: [] } } })).toMatch(/none are configured: a replay with nothing to judge it would pass on no evidence/);
    expect(replaySetupProblem({ config: configSchema.parse({ verify: { commands: ["true"] } }) })).toMatch(/no harness is configured for the build stage/);
  });
});

describe("the judging tests are written into the tree, never through it", () => {
  it("replaces a link a harness left on the way instead of following it, and refuses paths outside the tree", async () => {
    const workspace = await Workspace.atCommit({ gitDir, commit: base, identity: botIdentity("software-factory[bot]") });
    const outside = mkdtempSync(join(tmpdir(), "factory-outside-"));
    try {
      symlinkSync(outside, join(workspace.dir, "test"));
      symlinkSync(join(outside, "victim.js"), join(workspace.dir, "src", "victim.js"));
      await workspace.writeTree({ "test/add.test.js": MERGED_TEST, "src/victim.js": "judged\n" });
      expect(readdirSync(outside)).toEqual([]);
      expect(lstatSync(join(workspace.dir, "test")).isDirectory()).toBe(true);
      expect(readFileSync(join(workspace.dir, "test", "add.test.js"), "utf8")).toBe(MERGED_TEST);
      expect(readFileSync(join(workspace.dir, "src", "victim.js"), "utf8")).toBe("judged\n");
      for (const path of ["../escape.js", "/etc/passwd", ".git/hooks/pre-commit"]) await expect(workspace.writeTree({ [path]: "x" })).rejects.toThrow(/not a path inside the tree/);
    } finally {
      await workspace.remove();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("the factory's git after a harness ran: nothing the harness configured runs on the host", () => {
  it("puts back the clone's config (a filter driver the harness added never runs), and refuses a .git the harness replaced", async () => {
    const workspace = await Workspace.atCommit({ gitDir, commit: base, identity: botIdentity("software-factory[bot]") });
    const marker = join(tmpdir(), `factory-pwned-${process.pid}-${Date.now()}`);
    try {
      // What a hostile harness leaves: a clean filter that runs a command, applied to every file.
      writeFileSync(join(workspace.dir, ".git", "config"), `${readFileSync(join(workspace.dir, ".git", "config"), "utf8")}[filter "x"]\n\tclean = touch ${marker}; cat\n[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = touch ${marker}\n`);
      writeFileSync(join(workspace.dir, ".gitattributes"), "* filter=x\n");
      writeFileSync(join(workspace.dir, "src", "add.js"), "export const add = (a, b) => a + b;\n");
      expect(await workspace.commitLeftovers("harness work")).toBe(true);
      expect((await workspace.newCommits()).length).toBe(1);
      expect(existsSync(marker)).toBe(false);

      rmSync(join(workspace.dir, ".git"), { recursive: true, force: true });
      symlinkSync(gitDir, join(workspace.dir, ".git"));
      writeFileSync(join(workspace.dir, "src", "add.js"), "changed again\n");
      await expect(workspace.commitLeftovers("again")).rejects.toThrow(/the clone's \.git is no longer a folder/);
    } finally {
      await workspace.remove();
      rmSync(marker, { force: true });
    }
  });

  it("refuses to write the judging tests when the tree itself was replaced by a link", async () => {
    const workspace = await Workspace.atCommit({ gitDir, commit: base, identity: botIdentity("software-factory[bot]") });
    const elsewhere = mkdtempSync(join(tmpdir(), "factory-elsewhere-"));
    try {
      rmSync(workspace.dir, { recursive: true, force: true });
      symlinkSync(elsewhere, workspace.dir);
      await expect(workspace.writeTree({ "test/add.test.js": MERGED_TEST })).rejects.toThrow(/the tree is no longer the folder the factory made/);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      await workspace.remove();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("GEPA with real replays and a reflection harness", () => {
  it("the reflection reads the failures and the held-out replays rise 0 → 1; the template is accepted", async () => {
    const reflect = harnessReflection({ box: Box.fromEnv({}), env: { PATH: process.env.PATH }, choice: config.cells.reflect });
    const result = await searchPrompt({
      cell: "builder",
      seed: TEMPLATE,
      train: [caseOf(11), caseOf(12)],
      heldOut: [caseOf(13)],
      replay: (template, c) => replayArtifact(setup(), template, c),
      reflect,
      budget: { metricCalls: 8 },
      trials: 2,
      minibatchSize: 2,
    });
    expect(result.problems).toEqual([]);
    expect(result.seed.perArtifact).toEqual({ "acme/calc#13": 0 });
    expect(result.best.perArtifact).toEqual({ "acme/calc#13": 1 });
    expect(result.accepted).toBe(true);
    expect(result.best.template).toContain("Run the repository's formatter on what you changed.");
  }, 180_000);

  it("a reflection that breaks the template is reported, not taken", async () => {
    const reflect = harnessReflection({
      box: Box.fromEnv({}),
      env: { PATH: process.env.PATH },
      choice: { ...config.cells.reflect, command: ["node", "-e", `require("fs").writeFileSync("${REFLECT_FILES.template}", "{{#open}} never closed")`] },
    });
    await expect(reflect({ cell: "builder", current: TEMPLATE, dataset: [{ artifact: "acme/calc#1", score: 0, feedback: "failed" }] })).rejects.toThrow(/the reflection's template is not Mustache: Unclosed section "open"/);
    const empty = harnessReflection({ box: Box.fromEnv({}), env: { PATH: process.env.PATH }, choice: { ...config.cells.reflect, command: ["node", "-e", "process.exit(2)"] } });
    await expect(empty({ cell: "builder", current: TEMPLATE, dataset: [] })).rejects.toThrow(/^The harness exited with code 2/);
  });
});
