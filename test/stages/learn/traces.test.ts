import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { traceLine, traceText, tracesOf, type TraceLine } from "../../../src/stages/learn/traces.js";
import { makeRecord } from "../../../src/state/carriers.js";
import { foldRecords, GENESIS, linkOf } from "../../../src/state/fold.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../../src/state/records.js";

const KEY = Buffer.from("software-factory test state key, 32+ bytes long", "utf8");
const ID = "octo/widgets#7";
const T0 = Date.parse("2026-03-02T09:00:00.000Z");
const SHA1 = "1".repeat(40);
const SHA2 = "2".repeat(40);
const TOKEN = `ghp_${"a1B2c3D4".repeat(5)}`;

type Entry = { [K in RecordKind]: [K, RecordDataOf<K>] }[RecordKind];

/** A chain of signed records, a minute apart, each naming the one before (as the store writes them). */
function chain(entries: readonly Entry[]): SignedRecord[] {
  const records: SignedRecord[] = [];
  for (const [i, [kind, data]] of entries.entries()) {
    const prev = records.at(-1);
    records.push(makeRecord(kind, data, { artifact: ID, key: `k${i + 1}`, seq: i + 1, prev: prev ? linkOf(prev) : GENESIS, at: new Date(T0 + (i + 1) * 60_000) }, KEY));
  }
  return records;
}

function loadedOf(records: SignedRecord[]) {
  const folded = foldRecords(ID, records);
  return { id: ID, artifact: folded.artifact, records: folded.records };
}

const MEMO = {
  likelyFiles: [
    { path: "src/theme.js", score: 3.2, reasons: ["mentions theme"] },
    { path: "test/theme.test.js", score: 1.1, reasons: ["tests src/theme.js"] },
  ],
  relatedTests: [{ path: "test/theme.test.js", covers: "src/theme.js" }],
  constraints: [],
  owners: [],
  verification: { commands: [{ command: "npm test", source: "package.json" }], focused: "node --test test/theme.test.js" },
  notFound: [],
  stats: { filesConsidered: 4, filesRead: 4, historyCommits: 1, ms: 12 },
};

const summary = (sha: string, subject: string, extra: Record<string, unknown> = {}) => ({
  harness: "command",
  runner: "local",
  durationMs: 4200,
  headSha: sha,
  commits: [{ sha, subject }],
  files: ["src/theme.js"],
  insertions: 3,
  deletions: 1,
  netLines: 2,
  exitCode: 0,
  // Kept by the record, left out of the trace: the harness's own output and environment names.
  lastLines: [`token=${TOKEN}`],
  refusedEnv: ["OPENAI_API_KEY"],
  ...extra,
});

const FAILURE = "Command `npm test` failed.\n- default is the light theme: Expected values to be strictly equal at test/theme.test.js:9";

/**
 * Scouted; build 1 breaks a test and the verifier says which; build 2 (with that
 * failure in its prompt and one lesson) passes, then a reviewer requests a change
 * on a line; build 3 fails; the PR is merged.
 */
const ENTRIES: Entry[] = [
  ["artifact.opened", { issue: 7, title: "Dark theme is never used", goal: "Users can switch to a dark theme.", criteria: ["theme({ dark: true }) returns dark"], branch: "factory/7-dark-theme", baseBranch: "main", pr: 8, author: "alice", requestedBy: "alice" }],
  ["stage.completed", { stage: "scout", summary: "2 likely files", output: MEMO }],
  ["stage.started", { stage: "build", runner: "local", job: "build-7-a", harness: "command" }],
  ["stage.completed", { stage: "build", summary: "1 commit", output: summary(SHA1, "Always dark"), job: "build-7-a" }],
  ["stage.started", { stage: "verify", runner: "local", job: "verify-7-a", harness: "commands", sha: SHA1 }],
  ["stage.completed", { stage: "verify", summary: "fail", output: { verdict: "fail", sha: SHA1, evidence: [{ kind: "command", name: "npm test", state: "failure" }], summary: FAILURE, failures: 1 }, job: "verify-7-a" }],
  ["stage.started", { stage: "build", runner: "local", job: "build-7-b", harness: "command" }],
  ["stage.completed", { stage: "build", summary: "1 commit", output: summary(SHA2, "Dark only when asked", { lessons: ["keep-the-light-default"], costUsd: 0.12, prompt: { template: ".factory/prompts/builder.md", digest: "0123456789abcdef" } }), job: "build-7-b" }],
  ["stage.completed", { stage: "verify", summary: "pass", output: { verdict: "pass", sha: SHA2, evidence: [{ kind: "check", name: "ci/test", state: "success", url: "https://ci.example/1" }], summary: "", failures: 0 } }],
  ["stage.completed", { stage: "package", summary: "web", output: { targets: ["web"] } }],
  ["review.changes_requested", { by: "carol", review: 91, url: "https://github.com/octo/widgets/pull/8#pullrequestreview-91", body: "Close, one thing.", comments: [{ path: "src/theme.js", line: 2, body: "Name the default theme in a constant.", url: "https://github.com/octo/widgets/pull/8#discussion_r5" }] }],
  ["stage.started", { stage: "build", runner: "local", job: "build-7-c", harness: "command" }],
  ["stage.failed", { stage: "build", reason: "The harness exited with code 3; nothing was pushed.", job: "build-7-c" }],
  ["run.ended", { outcome: "merged", metrics: { scout: { changed: ["src/theme.js", "src/settings.js"] } }, note: ".factory/runs/2026-03-02-dark-theme.json" }],
];
const HISTORY = chain(ENTRIES);

describe("tracesOf", () => {
  const traces = tracesOf(loadedOf(HISTORY));
  const of = (cell: TraceLine["cell"]) => traces.filter((t) => t.cell === cell);

  it("makes one line per cell run, in the order the results were recorded, each fitting the schema", () => {
    expect(traces.map((t) => [t.cell, t.run, t.attempt])).toEqual([
      ["scout", "seq:2", 1],
      ["builder", "build-7-a", 1],
      ["verifier", "verify-7-a", 1],
      ["builder", "build-7-b", 2],
      ["verifier", "seq:9", 2],
      ["builder", "build-7-c", 3],
    ]);
    for (const trace of traces) expect(traceLine.parse(trace)).toEqual(trace);
    expect(new Set(traces.map((t) => t.repo))).toEqual(new Set(["octo/widgets"]));
  });

  it("a build's inputs are the records before it started: the request, the memo as the prompt shows it, what went wrong before", () => {
    const [first, second] = of("builder");
    expect(first?.inputs).toEqual({
      title: "Dark theme is never used",
      goal: "Users can switch to a dark theme.",
      criteria: ["theme({ dark: true }) returns dark"],
      harness: "command",
      runner: "local",
      memo: {
        likelyFiles: [
          { path: "src/theme.js", why: "mentions theme" },
          { path: "test/theme.test.js", why: "tests src/theme.js" },
        ],
        relatedTests: [{ path: "test/theme.test.js", covers: "src/theme.js" }],
        constraints: [],
        verify: "node --test test/theme.test.js",
      },
      feedback: [],
    });
    expect(second?.cell === "builder" && second.inputs.feedback).toEqual([{ source: "The verifier failed the last build", text: FAILURE }]);
    expect(second?.cell === "builder" && second.inputs.lessons).toEqual(["keep-the-light-default"]);
    expect(second?.cell === "builder" && second.inputs.prompt).toEqual({ template: ".factory/prompts/builder.md", digest: "0123456789abcdef" });
    expect(second?.outputs).not.toHaveProperty("prompt");
    expect(second?.at).toBe(HISTORY[6]?.at);
    expect(second?.endedAt).toBe(HISTORY[7]?.at);
  });

  it("a build's outputs are its summary without the harness's terminal lines or environment names", () => {
    const [first] = of("builder");
    expect(first?.outputs).toEqual({ outcome: "completed", summary: "1 commit", harness: "command", runner: "local", durationMs: 4200, headSha: SHA1, commits: [{ sha: SHA1, subject: "Always dark" }], files: ["src/theme.js"], insertions: 3, deletions: 1, netLines: 2 });
  });

  it("scores a build by what came of its head: the verdict, requested changes, its own failure", () => {
    const [failedVerify, reviewed, broken] = of("builder");
    expect(failedVerify?.score).toBe(0);
    expect(failedVerify?.signals.verdict).toEqual({ verdict: "fail", sha: SHA1, summary: FAILURE });
    expect(failedVerify?.feedback).toContain("The verifier failed 1111111:\nCommand `npm test` failed.\n- default is the light theme");
    expect(reviewed?.score).toBe(0);
    expect(reviewed?.signals.verdict).toEqual({ verdict: "pass", sha: SHA2 });
    expect(reviewed?.signals.reviews?.[0]?.comments.map((c) => [c.path, c.line])).toEqual([["src/theme.js", 2]]);
    expect(reviewed?.feedback).toBe("The verifier passed 2222222.\n\n@carol requested changes:\nClose, one thing.\n- `src/theme.js:2`: Name the default theme in a constant.");
    expect(broken).toMatchObject({ score: 0, outputs: { outcome: "failed", reason: "The harness exited with code 3; nothing was pushed." }, feedback: "The build failed: The harness exited with code 3; nothing was pushed." });
  });

  it("a pass with no requested changes scores 1 once the PR is merged, and is not known before", () => {
    const build = (records: SignedRecord[]) => tracesOf(loadedOf(records)).filter((t) => t.cell === "builder")[1];
    expect(build(HISTORY.slice(0, 9))).toMatchObject({ score: null, feedback: "The verifier passed 2222222." });
    const merged = chain([...ENTRIES.slice(0, 10), ["run.ended", { outcome: "merged", metrics: {}, note: "n" }]]);
    expect(build(merged)).toMatchObject({ score: 1, signals: { verdict: { verdict: "pass", sha: SHA2 }, outcome: "merged" } });
    expect(build(merged)?.feedback).toBe("The verifier passed 2222222.\n\nThe pull request was merged.");
  });

  it("a verifier run: the commit it judged, the build that made it, its verdict as the score", () => {
    const [fail, pass] = of("verifier");
    expect(fail).toMatchObject({ run: "verify-7-a", at: HISTORY[4]?.at, inputs: { sha: SHA1, build: "build-7-a" }, score: 0, outputs: { outcome: "completed", verdict: "fail", failures: 1 } });
    expect(fail?.feedback).toContain(FAILURE);
    expect(pass).toMatchObject({ run: "seq:9", inputs: { sha: SHA2, build: "build-7-b" }, score: 1, feedback: "Passed at 2222222: `ci/test` success." });
  });

  it("the scout's score is its recall@10 against the files the merged change touched", () => {
    const [scout] = of("scout");
    expect(scout).toMatchObject({ score: 0.5, signals: { outcome: "merged", changed: ["src/theme.js", "src/settings.js"] }, inputs: { title: "Dark theme is never used" } });
    expect(scout?.feedback).toBe("The pull request was merged. The change touched 2 files: src/theme.js, src/settings.js. The memo's top ten likely files found 1 of them (recall@10 0.50); it missed src/settings.js.");
    expect(scout?.cell === "scout" && scout.outputs.outcome === "completed" && scout.outputs.memo).toEqual(MEMO);
    expect(tracesOf(loadedOf(HISTORY.slice(0, 2)))[0]).toMatchObject({ cell: "scout", score: null });
  });

  it("a build that never started on a runner, a skipped stage and an unfinished run are not runs", () => {
    const records = chain([
      ...ENTRIES.slice(0, 2),
      ["stage.failed", { stage: "build", reason: "No harness is configured" }],
      ["command.retry", { by: "carol", stage: "build" }],
      ["stage.started", { stage: "build", runner: "local", job: "build-7-z", harness: "command" }],
    ]);
    expect(tracesOf(loadedOf(records)).map((t) => t.cell)).toEqual(["scout"]);
    const skipped = chain([...ENTRIES.slice(0, 1), ["stage.completed", { stage: "scout", summary: "skipped: disabled in .github/factory.yml" }]]);
    expect(tracesOf(loadedOf(skipped))).toEqual([]);
  });

  it("the text of a line keeps no signature, no harness output and no environment names", () => {
    const text = traces.map(traceText).join("\n");
    for (const line of text.split("\n")) expect(traceLine.safeParse(JSON.parse(line)).success).toBe(true);
    for (const word of ["lastLines", "refusedEnv", "OPENAI_API_KEY", TOKEN, "\"sig\"", ...HISTORY.map((r) => r.sig)]) expect(text).not.toContain(word);
  });

  it("blanks a token that CI output quoted into a failure summary", () => {
    const verdict = ENTRIES[5] as Extract<Entry, ["stage.completed", unknown]>;
    const leaky: Entry = ["stage.completed", { ...verdict[1], output: { ...verdict[1].output, summary: `${FAILURE}\n    curl -H "Authorization: token ${TOKEN}"` } }];
    const text = tracesOf(loadedOf(chain([...ENTRIES.slice(0, 5), leaky, ...ENTRIES.slice(6)]))).map(traceText).join("\n");
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("Authorization: token [redacted]");
  });

  it("blanks a token at the start of a line or after a tab, where the JSON text has `\\n` or `\\t` before it", () => {
    const verdict = ENTRIES[5] as Extract<Entry, ["stage.completed", unknown]>;
    const leaky: Entry = ["stage.completed", { ...verdict[1], output: { ...verdict[1].output, summary: `${FAILURE}\n${TOKEN}\n\t${TOKEN}\nnpm_${"a".repeat(36)}` } }];
    const text = tracesOf(loadedOf(chain([...ENTRIES.slice(0, 5), leaky, ...ENTRIES.slice(6)]))).map(traceText).join("\n");
    expect(text).not.toContain(TOKEN.slice(4));
    expect(text).not.toContain("a".repeat(36));
    expect(text).toContain("\\n[redacted]\\n\\t[redacted]");
  });
});

describe("the README's trace example", () => {
  it("is the line of build 2 above, field for field", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("#### Traces"));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const build = tracesOf(loadedOf(HISTORY)).find((t) => t.run === "build-7-b");
    expect(JSON.parse(example)).toEqual(JSON.parse(traceText(build as TraceLine)));
  });
});
