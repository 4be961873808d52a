/**
 * The line as several real app processes on one redis-server, in front of the
 * GitHub double over HTTP: what holds when events arrive at once, twice, on two
 * processes, and when a process dies mid-event.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeBlocks } from "../../src/state/codec.js";
import { checkRecord, makeRecord, recordBlock } from "../../src/state/carriers.js";
import type { SignedRecord } from "../../src/state/records.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import { ProcessLine, type AppProcess } from "../../src/sandbox/process-line.js";
import { startRedis, type RunningRedis } from "../support/redis.js";
import { SAMPLE_FILES, VALID_BODY } from "./use-sandbox.js";

let redis: RunningRedis;
let line: ProcessLine | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await line?.close();
  line = undefined;
});

/** Every signed record the app wrote on a thread, with the comment that holds it. */
function records(l: ProcessLine, thread: number): Array<{ comment: number; record: SignedRecord }> {
  const out: Array<{ comment: number; record: SignedRecord }> = [];
  for (const comment of l.double.commentsOn(thread)) {
    if (comment.user.login !== l.double.bot.login) continue;
    for (const block of decodeBlocks(comment.body)) {
      if (!block.ok) continue;
      const checked = checkRecord(block.value, l.stateKey);
      if (checked.ok) out.push({ comment: comment.id, record: checked.record });
    }
  }
  return out;
}

async function startWith(processes: number): Promise<ProcessLine> {
  line = await ProcessLine.start({ redis, processes, files: SAMPLE_FILES });
  line.double.permissions.set("maintainer", "maintain");
  return line;
}

describe("two app processes on one redis-server", () => {
  it("50 concurrent deliveries for one artifact, each seen by both processes: one of each side effect, no seq twice", async () => {
    const l = await startWith(2);
    const issue = l.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    l.double.addLabel(issue, "factory:intake");
    await l.idle();
    const pr = l.double.pulls()[0]?.number as number;
    const head = l.double.pulls()[0]?.pull?.headSha as string;
    expect(pr).toBeGreaterThan(0);
    const labelDelivery = l.sender.deliveries.find((d) => d.name === "issues" && d.action === "labeled")?.id as string;

    // The burst: a redelivered label, commands on the issue and on the PR (two of them /factory verify), and CI's checks.
    l.sender.pause();
    l.sender.route = "all";
    l.sender.redeliver(labelDelivery);
    const commands = [
      ...Array.from({ length: 8 }, (_, i) => l.double.postComment(issue, l.double.user("maintainer"), `/factory status\n\nissue ${i}`)),
      ...Array.from({ length: 8 }, (_, i) => l.double.postComment(pr, l.double.user("maintainer"), `/factory status\n\npr ${i}`)),
      l.double.postComment(issue, l.double.user("maintainer"), "/factory verify"),
      l.double.postComment(pr, l.double.user("maintainer"), "/factory verify"),
    ];
    for (const name of ["test", "lint", "build"]) l.double.completeCheck(head, name, { conclusion: "success" });
    const burst = l.sender.held.length;
    expect(burst * 2).toBeGreaterThanOrEqual(50);
    l.sender.resume({ concurrent: true });
    await l.idle();

    expect(l.errors()).toEqual([]);
    expect(l.sender.deliveries.filter((d) => d.status !== 200)).toEqual([]);
    const all = [...records(l, issue), ...records(l, pr)];
    // No two records of the artifact share a seq: the lock kept one writer at a time, so the fold voided nothing.
    const seqs = all.filter((r) => r.record.artifact.endsWith(`#${issue}`)).map((r) => r.record.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Every command answered exactly once.
    for (const comment of commands) {
      expect(all.filter((r) => r.record.key === `comment:${comment.id}:0`)).toHaveLength(1);
    }
    // No key twice at all.
    const keys = all.map((r) => r.record.key);
    expect(new Set(keys).size).toBe(keys.length);
    // One tracking comment, one PR, one memo, one ledger, one factory/verify check run on the head; a verdict per /factory verify.
    expect(l.double.commentsOn(issue).filter((c) => c.user.login === l.double.bot.login && c.body.includes("software-factory:tracking"))).toHaveLength(1);
    expect(l.double.pulls()).toHaveLength(1);
    expect(all.filter((r) => r.record.kind === "stage.completed" && r.record.data.stage === "scout")).toHaveLength(1);
    expect([...l.double.issues.values()].filter((i) => i.labels.includes("factory:ledger"))).toHaveLength(1);
    expect([...l.double.checks.runs.values()].filter((r) => r.head_sha === head && r.name === "factory/verify")).toHaveLength(1);
    expect(all.filter((r) => r.record.kind === "stage.completed" && r.record.data.stage === "verify")).toHaveLength(2);
    expect(foldFromDouble(l.double, issue, l.stateKey)).toMatchObject({ pr, status: "active" });
  }, 90_000);
});

describe("merges finishing together on two processes", () => {
  it("two PRs merged at once, each closed event seen by both processes: one draft release holding both lines once each, both post-run notes, one refit proposal", async () => {
    const l = await startWith(2);
    l.double.writeFile(".github/factory.yml", "package:\n  changelog: release\nlearn:\n  refitAfter: 2\n");
    const artifacts: Array<{ issue: number; pr: number; line: string }> = [];
    for (const title of ["Add dark mode", "Export to CSV"]) {
      const issue = l.double.openIssue("alice", title, VALID_BODY).number;
      l.double.addLabel(issue, "factory:intake");
      await l.idle();
      const artifact = foldFromDouble(l.double, issue, l.stateKey);
      const pr = artifact.pr as number;
      // The packager's output, as its record would be (the line itself is not what this test is about).
      const line = `${title} (#${pr})`;
      const packaged = makeRecord("stage.completed", { stage: "package", summary: "web", output: { releaseNote: { section: "Changes", line } } }, { artifact: `${l.double.owner}/${l.double.repo}#${issue}`, key: `package-${issue}`, seq: artifact.seq + 1, prev: artifact.head as string }, l.stateKey);
      l.double.postComment(pr, l.double.bot, `### Packaged\n\n${recordBlock(packaged)}`);
      artifacts.push({ issue, pr, line });
    }

    l.sender.pause();
    l.sender.route = "all";
    for (const { pr } of artifacts) {
      // A person marks it ready and merges it (the line left it a draft: nothing was built).
      const pull = l.double.issues.get(pr)?.pull;
      if (pull) pull.draft = false;
      l.double.merge(pr);
    }
    l.sender.resume({ concurrent: true });
    await l.idle();

    expect(l.errors()).toEqual([]);
    const drafts = l.double.releases.filter((r) => r.draft);
    expect(drafts).toHaveLength(1);
    const body = drafts[0]?.body ?? "";
    // Both notes reached main, and the refit both merges reached is proposed once.
    const main = l.double.git.refSha("heads/main") as string;
    expect(l.double.git.run(["ls-tree", "--name-only", `${main}:.factory/runs`]).split("\n").filter((f) => f.endsWith(".json"))).toHaveLength(2);
    expect([...l.double.issues.values()].filter((i) => i.labels.includes("factory:learn")).map((i) => i.title)).toEqual(["Refit the scout: 2 artifacts merged since it started, on default weights"]);
    for (const { issue, pr, line } of artifacts) {
      expect(body.split("\n").filter((l) => l === `- ${line}`)).toHaveLength(1);
      expect(records(l, pr).filter((r) => r.record.kind === "run.ended")).toHaveLength(1);
      expect(foldFromDouble(l.double, issue, l.stateKey)).toMatchObject({ status: "done" });
    }
  }, 90_000);
});

describe("a process killed after it acknowledged a delivery", () => {
  it("SIGKILL 100 ms after the answer: another process does the work, once, within 60 s", async () => {
    // One process takes the delivery (and so the event); the other starts once it is dead, as a replacement would.
    const l = await startWith(1);
    const issue = l.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await l.idle();
    const victim = l.apps[0] as AppProcess;
    let killedAt = 0;
    let answered: number | undefined;
    l.sender.onDelivered = (delivery) => {
      if (delivery.name !== "issues" || delivery.action !== "labeled" || killedAt) return;
      answered = delivery.status;
      killedAt = Date.now() + 100;
      setTimeout(() => victim.child.kill("SIGKILL"), 100);
    };
    // A round trip to GitHub takes 40 ms here, so the victim is mid-event when it dies.
    l.server.latencyMs = 40;
    l.double.addLabel(issue, "factory:intake");
    while (!killedAt) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await victim.exited).toBeNull();
    expect(victim.child.signalCode).toBe("SIGKILL");
    // The victim had begun: the branch or the PR may be there, the memo is not.
    const pr = () => l.double.pulls()[0]?.number ?? 0;
    const memo = () => records(l, pr()).some((r) => r.record.kind === "stage.completed" && r.record.data.stage === "scout");
    expect(memo()).toBe(false);

    const survivor = await l.spawn();
    l.sender.only(survivor.url);
    const deadline = Date.now() + 60_000;
    while (!memo() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const tookMs = Date.now() - killedAt;
    expect(memo()).toBe(true);
    expect(answered).toBe(200);
    expect(tookMs).toBeLessThan(60_000);
    console.info(`the survivor finished the killed process's event ${tookMs} ms after the kill`);
    await l.idle();

    expect(l.double.pulls()).toHaveLength(1);
    expect(l.double.commentsOn(issue).filter((c) => c.user.login === l.double.bot.login && c.body.includes("software-factory:tracking"))).toHaveLength(1);
    expect(records(l, pr()).filter((r) => r.record.kind === "stage.completed" && r.record.data.stage === "scout")).toHaveLength(1);
    expect(foldFromDouble(l.double, issue, l.stateKey)).toMatchObject({ stage: "build", status: "active", pr: pr() });
    expect(survivor.errors).toEqual([]);
  }, 120_000);
});
