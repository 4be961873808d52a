import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/bench.js";

// The reader's git calls inherit this environment: keep the developer's git config out.
process.env.GIT_CONFIG_GLOBAL = "/dev/null";
process.env.GIT_CONFIG_NOSYSTEM = "1";

let root: string;
let repo: string;
let gitDir: string;
let casesFile: string;
let base: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", env: process.env }).trim();
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "factory-bench-"));
  repo = join(root, "repo");
  mkdirSync(repo);
  git(repo, "init", "-q");
  write("package.json", JSON.stringify({ name: "demo", scripts: { test: "vitest run" } }));
  write("README.md", "# Demo\n");
  write("src/auth/login.ts", "export function login(user: string, password: string) { return password.length > 0; }\n");
  write("test/auth/login.test.ts", "it('rejects an empty password', () => {});\n");
  write("src/theme/dark-mode.ts", "export const darkPalette = { background: '#000' };\n");
  write("src/billing/invoice.ts", "export function invoiceTotal(lines: number[]) { return lines.reduce((a, b) => a + b, 0); }\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "feat: first version");
  write("src/billing/invoice.ts", "export function invoiceTotal(lines: number[]) { return Math.round(lines.reduce((a, b) => a + b, 0)); }\n");
  git(repo, "commit", "-q", "-am", "fix: round invoice totals");
  base = git(repo, "rev-parse", "HEAD");
  // --repo takes a git directory: a clone's .git or a bare mirror.
  gitDir = join(repo, ".git");

  const cases = [
    { id: "c1", repo: "acme/demo", base, title: "fix(auth): login rejects a valid password", body: "Users cannot log in with a correct password.", gold: ["src/auth/login.ts"] },
    { id: "c2", repo: "acme/demo", base, title: "Dark mode palette is too bright", body: "The dark mode background should be darker.", gold: ["src/theme/dark-mode.ts"] },
    { id: "c3", repo: "acme/demo", base, title: "Invoice total is off by a cent", body: "`invoiceTotal` rounds too early.", gold: ["src/billing/invoice.ts", "test/billing/invoice.test.ts"] },
  ];
  casesFile = join(root, "cases.jsonl");
  writeFileSync(casesFile, `${cases.map((c) => JSON.stringify(c)).join("\n")}\n\n`);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

const METRICS = ["recall@1", "recall@5", "recall@10", "hit@5", "mrr", "median_ms", "p95_ms"];
const RATES = ["recall@1", "recall@5", "recall@10", "hit@5", "mrr"];

function expectSummary(summary: unknown, where: string): void {
  expect(Object.keys(summary as object).sort(), where).toEqual([...METRICS].sort());
  const values = summary as Record<string, number>;
  for (const key of RATES) {
    expect(values[key], `${where}.${key}`).toBeGreaterThanOrEqual(0);
    expect(values[key], `${where}.${key}`).toBeLessThanOrEqual(1);
  }
  for (const key of ["median_ms", "p95_ms"]) expect(values[key], `${where}.${key}`).toBeGreaterThanOrEqual(0);
  expect(values.p95_ms).toBeGreaterThanOrEqual(values.median_ms as number);
}

describe("bench scout", () => {
  it("prints per-repo and overall tables and, last, the JSON summary", async () => {
    const { code, lines } = await run(["scout", "--cases", casesFile, "--repo", gitDir, "--json"]);
    expect(code).toBe(0);
    const text = lines.join("\n");
    expect(text).toContain(`${casesFile}: 3 cases`);
    expect(text).toContain("acme/demo (full, 3 cases)");
    expect(text).toContain("acme/demo (issue, 3 cases)");
    expect(text).toContain("overall (full)");
    expect(text).toMatch(/^scout\s+\d\.\d{3}/m);
    expect(text).toMatch(/^bm25\s+\d\.\d{3}/m);

    const json = JSON.parse(lines.at(-1) ?? "") as Record<string, Record<string, unknown>>;
    for (const group of ["overall", "baseline"] as const) {
      for (const mode of ["full", "issue"]) expectSummary(json[group]?.[mode], `${group}.${mode}`);
    }
    expect(Object.keys(json.repos ?? {})).toEqual(["acme/demo"]);
    // The login and dark-mode cases name their file's words: the scout finds both first.
    expect((json.overall?.full as Record<string, number>).mrr).toBeGreaterThan(0.5);
  });

  it("without --json prints no JSON", async () => {
    const { code, lines } = await run(["scout", "--cases", casesFile, "--repo", gitDir, "--limit", "1"]);
    expect(code).toBe(0);
    expect(lines.join("\n")).toContain("acme/demo (full, 1 cases)");
    expect(() => JSON.parse(lines.at(-1) ?? "")).toThrow();
  });

  it("runs the scout under a read budget with --files-read", async () => {
    const { code, lines } = await run(["scout", "--cases", casesFile, "--repo", gitDir, "--json", "--files-read", "2"]);
    expect(code).toBe(0);
    const json = JSON.parse(lines.at(-1) ?? "") as Record<string, Record<string, unknown>>;
    expectSummary(json.overall?.full, "overall.full");
    expectSummary(json.overall?.issue, "overall.issue");
  });

  it("returns 2 with the usage for a wrong target, no cases, or mismatched --cases/--repo", async () => {
    for (const argv of [[], ["score", "--cases", casesFile, "--repo", gitDir], ["scout"], ["scout", "--cases", casesFile], ["scout", "--cases", casesFile, "--cases", casesFile, "--repo", gitDir]]) {
      const { code, lines } = await run(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(lines.join("\n"), argv.join(" ")).toMatch(/^Usage: npm run bench -- scout --cases/);
    }
  });

  it("says what is wrong with a --repo that is no repository, a line that is no case, and cases whose bases the repository lacks (exit 2)", async () => {
    const notGit = await run(["scout", "--cases", casesFile, "--repo", root]);
    expect(notGit.code).toBe(2);
    expect(notGit.lines.join("\n")).toBe(`--repo ${root} is not a git directory: give a bare mirror or a clone's .git folder`);
    const bad = join(root, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify({ id: "a", repo: "t/r", base, title: "t", body: "", gold: [] })}\n\nnot json\n`);
    const badLine = await run(["scout", "--cases", bad, "--repo", gitDir]);
    expect(badLine.code).toBe(2);
    expect(badLine.lines.join("\n")).toMatch(/^--cases .*bad\.jsonl: line 3 is not a case \(one JSON object per line, with base, title, body and gold/);
    const elsewhere = join(root, "elsewhere.jsonl");
    writeFileSync(elsewhere, `${JSON.stringify({ id: "a", repo: "t/r", base: "0123456789abcdef0123456789abcdef01234567", title: "t", body: "", gold: [] })}\n`);
    const missing = await run(["scout", "--cases", elsewhere, "--repo", gitDir]);
    expect(missing.code).toBe(2);
    expect(missing.lines.join("\n")).toBe(`--cases ${elsewhere}: 1 case's base commit is not in --repo ${gitDir} (0123456): pair the file with the repository it was mined from, or fetch them`);
    const mine = await run(["mine", "--repo", root, "--name", "t/r"]);
    expect(mine.code).toBe(2);
    expect(mine.lines.join("\n")).toBe(`--repo ${root} is not a git directory: give a bare mirror or a clone's .git folder`);
  });

  it("treats a mistyped option as a usage error too", async () => {
    const result = await run(["scout", "--cases", casesFile, "--repo", gitDir, "--file-read", "2"]).catch((error: unknown) => ({ code: -1, lines: [String(error)] }));
    expect(result.code).toBe(2);
    expect(result.lines.join("\n")).toMatch(/Usage: npm run bench/);
  });
});
