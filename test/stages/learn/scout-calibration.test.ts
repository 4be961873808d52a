import { describe, expect, it } from "vitest";
import { calibrate, fitWeights, mineCases, prepareCase, recallAt10, scoutFileFor, type MinedCase } from "../../../src/stages/learn/scout-calibration.js";
import { WEIGHTS, type RepoSnapshot } from "../../../src/stages/scout/localize.js";
import { parseScoutFile } from "../../../src/stages/scout/scout-file.js";

describe("mineCases: past changes as localization cases", () => {
  const change = (message: string, files: Array<[string, string]>, sha = "c1") => ({ sha, parent: `${sha}^`, message, files: files.map(([status, path]) => ({ status, path })) });

  it("a lock file beside a real change is not part of the answer", () => {
    expect(mineCases([change("fix: require click 8.2", [["M", "pyproject.toml"], ["M", "uv.lock"]])])[0]?.gold).toEqual(["pyproject.toml"]);
  });

  it("keeps changes that read like requests; gold is what existed and was modified", () => {
    const [mined] = mineCases([change("fix(router): trailing slash is ignored (#123)\n\nThe router dropped it.\n\nSigned-off-by: A <a@x>", [["M", "src/router.ts"], ["A", "src/router.test.ts"], ["M", "CHANGELOG.md"]])]);
    expect(mined).toEqual({ sha: "c1", base: "c1^", title: "fix(router): trailing slash is ignored", body: "The router dropped it.", gold: ["src/router.ts"] });
  });

  it("leaves out housekeeping, sweeping changes, lock-file-only changes and changes that only add files", () => {
    const many = Array.from({ length: 9 }, (_, i): [string, string] => ["M", `src/f${i}.ts`]);
    expect(
      mineCases([
        change("chore(deps): bump vitest", [["M", "package.json"]]),
        change("ci: run on node 24", [["M", ".github/workflows/ci.yml"]]),
        change("refactor: rename everything", many),
        change("fix: pin the lock file", [["M", "package-lock.json"]]),
        change("fix: pin the Python lock files", [["M", "uv.lock"], ["M", "Pipfile.lock"], ["M", "Gemfile.lock"]]),
        change("feat: a brand new module", [["A", "src/new.ts"]]),
        change("Release 2.0.0", [["M", "src/version.ts"]]),
      ]),
    ).toEqual([]);
  });
});

/**
 * A repository where the words of a request name the wrong files: each topic has
 * eleven notes named after it (their names and text match the request), while the
 * code that changes for it is a module named otherwise, which the topic's past
 * changes touched. The defaults lean on names and text and miss the module in the
 * top 10; a repository like this one is better served by its history.
 */
function historyRepo(topics: readonly string[]): { repo: RepoSnapshot; cases: MinedCase[] } {
  const files: string[] = [];
  const contents = new Map<string, string>();
  const history: RepoSnapshot["history"] = [];
  topics.forEach((topic, i) => {
    for (let k = 0; k < 11; k++) {
      files.push(`d${k}/${topic}-handling.md`);
      contents.set(`d${k}/${topic}-handling.md`, `# ${topic}-handling\n\nNotes on ${topic}-handling.`);
    }
    const code = `src/module${i}.js`;
    files.push(code);
    contents.set(code, `export function handle${i}(input) { return input; }`);
    for (let n = 0; n < 3; n++) history.push({ sha: `h${i}-${n}`, message: `fix ${topic}-handling edge case ${n}`, files: [code] });
  });
  const cases = topics.map((topic, i) => ({ sha: `c${i}`, base: `b${i}`, title: `fix: ${topic}-handling fails`, body: "", gold: [`src/module${i}.js`] }));
  return { repo: { files, contents, history }, cases };
}

/** Topics whose past changes touched twelve unrelated modules, often: history misleads; the note a change edits is found by its name. */
function withMisleadingHistory(repo: RepoSnapshot, topics: readonly string[]) {
  const files = [...repo.files];
  const contents = new Map(repo.contents);
  const history = [...repo.history];
  const later = topics.map((topic, t) => {
    for (let k = 0; k < 11; k++) {
      files.push(`d${k}/${topic}-handling.md`);
      contents.set(`d${k}/${topic}-handling.md`, `# ${topic}-handling\n\nNotes on ${topic}-handling.`);
    }
    const groups = [0, 1].map((g) => [0, 1, 2, 3, 4, 5].map((j) => `lib/w${t}-${g}-${j}.js`));
    for (const w of groups.flat()) {
      files.push(w);
      contents.set(w, `module.exports = ${t};`);
    }
    for (let n = 0; n < 8; n++) history.push({ sha: `w${t}-${n}`, message: `fix ${topic}-handling regression ${n}`, files: groups[n % 2] as string[] });
    return { sha: `l${t}`, base: `l${t}`, title: `fix: ${topic}-handling fails`, body: "", gold: [`d0/${topic}-handling.md`] };
  });
  return { files, contents, history, later };
}

const TOPICS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray"];

describe("calibrate", () => {
  it("fits the weights the repository needs, and keeps them because the held-out slice rises", () => {
    const { repo, cases } = historyRepo(TOPICS);
    const prepared = cases.map((c) => prepareCase(c, repo));
    const defaults = recallAt10(prepared, WEIGHTS);
    const calibration = calibrate(prepared);
    expect(calibration.accepted).toBe(true);
    expect(calibration.weights.history).toBeGreaterThan(WEIGHTS.history);
    expect(calibration.heldOut.after).toBeGreaterThanOrEqual(calibration.heldOut.before + calibration.margin);
    expect(recallAt10(prepared, calibration.weights)).toBeGreaterThan(defaults);
    expect(calibration.reason).toMatch(/^kept: held-out recall@10/);
  });

  it("never keeps a fit that does not raise the held-out slice by the margin: the defaults stay", () => {
    const { repo, cases } = historyRepo(TOPICS);
    const prepared = cases.map((c) => prepareCase(c, repo));
    // An impossible margin: whatever the fit finds, it cannot be kept.
    const calibration = calibrate(prepared, { margin: 2 });
    expect(calibration.accepted).toBe(false);
    expect(calibration.weights).toEqual(WEIGHTS);
    expect(calibration.reason).toMatch(/^not kept: .* less than the 2 margin/);
  });

  it("a fit that only helps the older changes is not kept when the later ones get worse", () => {
    // The older changes follow history. For the later ones history misleads: their topics' past changes
    // touched twelve unrelated modules, often, and the note the change really edits is found by its name.
    const older = historyRepo(TOPICS.slice(0, 16));
    const { files, contents, history, later } = withMisleadingHistory(older.repo, TOPICS.slice(16));
    const repo: RepoSnapshot = { files, contents, history };
    const prepared = [...later, ...older.cases].map((c) => prepareCase(c, repo));
    const calibration = calibrate(prepared, { heldOutShare: later.length / prepared.length });
    expect(calibration.heldOut.cases).toBe(later.length);
    // The fit found something on the older changes…
    expect(calibration.fit.after).toBeGreaterThan(calibration.fit.before);
    // …that makes the later ones worse: not kept.
    expect(calibration.heldOut.after).toBeLessThan(calibration.heldOut.before);
    expect(calibration.accepted).toBe(false);
    expect(calibration.weights).toEqual(WEIGHTS);
  });

  it("with too few past changes says so and keeps the defaults", () => {
    const { repo, cases } = historyRepo(TOPICS.slice(0, 10));
    const calibration = calibrate(cases.map((c) => prepareCase(c, repo)));
    expect(calibration).toMatchObject({ accepted: false, weights: WEIGHTS });
    expect(calibration.reason).toMatch(/not enough past changes to fit on: 10 usable \(at least 18 needed\)/);
  });

  it("fitWeights takes no weight that helps the changes overall but hurts half of them", () => {
    // Ten changes that history serves, eight it misleads, interleaved so that one half holds most of the misled.
    const helped = historyRepo(TOPICS.slice(0, 10));
    const { files, contents, history, later } = withMisleadingHistory(helped.repo, TOPICS.slice(10, 18));
    const repo: RepoSnapshot = { files, contents, history };
    const order = [...later.flatMap((l, i) => [helped.cases[i] as MinedCase, l]), ...helped.cases.slice(later.length)];
    const prepared = order.map((c) => prepareCase(c, repo));
    const odd = prepared.filter((_, i) => i % 2 === 1);
    // Leaning on history raises the whole set, and lowers the half that holds the misled changes…
    const leaning = { ...WEIGHTS, history: 3 };
    expect(recallAt10(prepared, leaning)).toBeGreaterThan(recallAt10(prepared, WEIGHTS));
    expect(recallAt10(odd, leaning)).toBeLessThan(recallAt10(odd, WEIGHTS));
    // …so the fit does not lean on it, and no half is worse for the fit.
    const fitted = fitWeights(prepared);
    expect(fitted.weights.history).toBeLessThanOrEqual(WEIGHTS.history);
    expect(recallAt10(odd, fitted.weights)).toBeGreaterThanOrEqual(recallAt10(odd, WEIGHTS));
  });

  it("fitWeights never returns weights that score worse than where it started", () => {
    const { repo, cases } = historyRepo(TOPICS.slice(0, 12));
    const prepared = cases.map((c) => prepareCase(c, repo));
    expect(fitWeights(prepared).score).toBeGreaterThanOrEqual(recallAt10(prepared, WEIGHTS));
  });
});

describe(".factory/scout.json", () => {
  it("what calibration writes, the scout reads back", () => {
    const { repo, cases } = historyRepo(TOPICS);
    const calibration = calibrate(cases.map((c) => prepareCase(c, repo)));
    const file = scoutFileFor(calibration, "abc123", new Date("2026-11-29T00:00:00Z"));
    const parsed = parseScoutFile(JSON.stringify(file));
    expect(parsed).toEqual({ ok: true, file });
  });

  it("a broken file is reported with where it is wrong", () => {
    expect(parseScoutFile("{ not json")).toMatchObject({ ok: false, problem: expect.stringMatching(/^not JSON/) });
    expect(parseScoutFile(JSON.stringify({ version: 1, weights: { ...WEIGHTS, text: -1 } }))).toEqual({ ok: false, problem: expect.stringMatching(/^weights\.text: /) });
    expect(parseScoutFile(JSON.stringify({ version: 1, weights: { ...WEIGHTS, extra: 1 } }))).toMatchObject({ ok: false });
    expect(parseScoutFile(JSON.stringify({ version: 2, weights: WEIGHTS }))).toMatchObject({ ok: false, problem: expect.stringMatching(/^version: /) });
    // What is said of a file is clipped: a memo never carries much of the repository's text.
    const long = parseScoutFile(JSON.stringify({ version: 1, weights: { [`x${"y".repeat(100_000)}`]: 1 } }));
    expect(long.ok === false && long.problem.length).toBe(200);
  });

  it("a file fitted before a signal existed still parses: the signals it does not name keep their defaults", () => {
    const { textRank: _new, ...older } = WEIGHTS;
    expect(parseScoutFile(JSON.stringify({ version: 1, weights: older }))).toMatchObject({ ok: true });
  });
});
