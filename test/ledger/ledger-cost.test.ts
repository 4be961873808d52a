/**
 * What a ledger refresh costs on a repository with many artifacts: the first one
 * reads every artifact (it has nothing to go on); after that a refresh reads the
 * ledger, the issues updated since it last looked, and only the artifacts that
 * changed. The bound stated here is the one the README gives.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { RepoPort } from "../../src/github/repo-port.js";
import { collectQueue, QUEUE_READS } from "../../src/ledger/queue.js";
import { refreshLedger } from "../../src/ledger/refresh-ledger.js";
import { ArtifactStore } from "../../src/state/artifact-store.js";
import { makeRecord, recordBlock } from "../../src/state/carriers.js";
import { linkOf } from "../../src/state/fold.js";
import { artifactId } from "../../src/state/records.js";
import { stateKey } from "../../src/state/sign.js";
import { createScenario, type Scenario } from "../support/scenario.js";
import { silentLogger } from "../support/test-app.js";

/** Requests one refresh may make when `changed` artifacts changed: ledger issue, its pages, issues since, two threads per artifact, one write per page. */
export function ledgerRefreshBound(changed: number, pagesWritten: number): number {
  return 3 + 2 * changed + pagesWritten;
}

/** `count` artifacts as the app leaves them: an issue with the intake label and a bot comment holding `artifact.opened`; most have finished, every tenth is in flight. */
function seed(s: Scenario, count: number, labels: string[] = ["factory:intake"]): number[] {
  const { double } = s;
  const key = stateKey();
  const numbers: number[] = [];
  for (let i = 0; i < count; i++) {
    const issue = double.newIssue(double.user("alice"), `Artifact ${i}`, "### Success criteria\n\n- works\n", labels);
    const id = artifactId(double, issue.number);
    const opened = makeRecord(
      "artifact.opened",
      { issue: issue.number, title: `Artifact ${i}`, goal: "works", criteria: ["works"], branch: `factory/${issue.number}-artifact-${i}`, baseBranch: "main", pr: i + 1, author: "alice", requestedBy: "maintainer" },
      { artifact: id, key: `delivery-${i}`, seq: 1 },
      key,
    );
    const blocks = [recordBlock(opened)];
    if (i % 10 !== 1) {
      const ended = makeRecord("run.ended", { outcome: "merged", metrics: {}, note: `.factory/runs/${i}.json` }, { artifact: id, key: `closed-${i}`, seq: 2, prev: linkOf(opened) }, key);
      blocks.push(recordBlock(ended));
    }
    double.postComment(issue.number, double.bot, `### Software Factory\n\n<!-- software-factory:tracking -->\n${blocks.join("\n")}`);
    // Last touched over the past days, as a repository's artifacts are.
    issue.updated_at = new Date(Date.now() - (count - i) * 3_600_000).toISOString();
    numbers.push(issue.number);
  }
  return numbers;
}

describe("ledger refresh cost", () => {
  it("300 artifacts, one changes: the refresh reads the ledger, one page of updated issues and that artifact, and writes one page", async () => {
    const s = await createScenario();
    // Threads #1-#300 stand for the artifacts' PRs (with no comments on them).
    for (let i = 0; i < 300; i++) s.double.newIssue(s.double.user("alice"), `PR ${i}`, null).updated_at = new Date(Date.now() - 400 * 3_600_000).toISOString();
    const artifacts = seed(s, 300);
    const octokit = await s.app.probot.auth(1);
    const store = new ArtifactStore(new RepoPort(octokit, { owner: s.double.owner, repo: s.double.repo }), { botLogin: s.double.bot.login, key: stateKey(), log: silentLogger() });
    const refresh = (changed: number[]) => refreshLedger(store, DEFAULT_CONFIG, silentLogger(), { changed });
    const requests = () => s.app.requests.length;

    // Cold: every artifact is read once.
    const cold = requests();
    expect(await refresh([])).toMatchObject({ read: 300 });
    const ledger = [...s.double.issues.values()].find((i) => i.labels.includes("factory:ledger"));
    expect(ledger).toBeDefined();
    const pages = 1 + s.double.commentsOn(ledger?.number ?? 0).length;
    expect(pages).toBeGreaterThan(1);
    expect(requests() - cold).toBeGreaterThan(300);

    // Nothing new: the ledger and one page of updated issues, nothing written.
    const quiet = requests();
    expect(await refresh([])).toMatchObject({ read: 0, written: 0 });
    expect(requests() - quiet).toBeLessThanOrEqual(ledgerRefreshBound(0, 0));

    // One artifact in flight changes (a person stops it): it alone is read again, and the one page that shows it is rewritten.
    const target = artifacts[151] as number;
    const key = stateKey();
    const id = artifactId(s.double, target);
    const loaded = await store.load(target);
    const stop = makeRecord("command.stop", { by: "maintainer" }, { artifact: id, key: "comment:1:0", seq: loaded.artifact.seq + 1, prev: loaded.artifact.head }, key);
    s.double.postComment(target, s.double.bot, `Stopped.\n\n${recordBlock(stop)}`);
    const before = requests();
    const writes = s.app.requests.length;
    expect(await refresh([target])).toMatchObject({ read: 1, written: 1 });
    const spent = requests() - before;
    expect(spent).toBeLessThanOrEqual(ledgerRefreshBound(1, 1));
    expect(s.app.requests.slice(writes).filter((r) => r.method !== "GET")).toHaveLength(1);
    const shown = [ledger?.body ?? "", ...s.double.commentsOn(ledger?.number ?? 0).map((c) => c.body)].join("\n");
    expect(shown).toMatch(new RegExp(`\\| #${target} Artifact 151 \\| scout \\| stopped \\|`));
  }, 60_000);

  it("the demand queue on 300 artifacts of one kind: it lists the newest factory issues only, reads as many as give 30 outcomes, and a done one once per process", async () => {
    const s = await createScenario();
    seed(s, 300, ["factory:intake", "bug"]);
    s.double.openIssue("erin", "Crash on save", "### Success criteria\n\n- saves\n", ["factory:candidate", "bug"]);
    const octokit = await s.app.probot.auth(1);
    const store = new ArtifactStore(new RepoPort(octokit, { owner: s.double.owner, repo: s.double.repo }), { botLogin: s.double.bot.login, key: stateKey(), log: silentLogger() });
    const read = async () => {
      const from = s.app.requests.length;
      const [top] = await collectQueue(store, DEFAULT_CONFIG, Date.now());
      const spent = s.app.requests.slice(from).map((r) => r.url ?? r.route ?? "");
      return {
        top,
        listings: spent.filter((url) => /\/issues\?/.test(url) && url.includes("labels=factory%3Aintake")).length,
        threads: new Set(spent.map((url) => /\/issues\/(\d+)\/comments/.exec(url)?.[1]).filter(Boolean)).size,
      };
    };
    const first = await read();
    // The kind's record: 30 finished, merged without changes (clean).
    expect(first.top?.why.join(" ")).toContain("`bug` requests the factory finished: 30 of 30 merged without requested changes");
    // Two pages of the newest 120 (not the three of all 300), and the threads of 30 done artifacts, the 4 in flight among them, and the candidate.
    expect(first.listings).toBe(2);
    expect(first.threads).toBeLessThanOrEqual(QUEUE_READS.outcomes + 4 + 1);
    expect(first.threads).toBeGreaterThanOrEqual(QUEUE_READS.outcomes);
    // Again: the done ones are known; only those in flight (and the candidate) are read.
    const second = await read();
    expect(second.threads).toBeLessThanOrEqual(4 + 1);
    expect(second.top?.why).toEqual(first.top?.why);
  }, 60_000);
});
