import { SAMPLE_REPO } from "../demo/sample-repo.js";
import { freePort } from "../sandbox/free-port.js";
import { ProcessLine, startProcess } from "../sandbox/process-line.js";
import { startRedis } from "../sandbox/redis-server.js";
import type { Delivery } from "@software-factory/github-double";
import { WebhookSender } from "@software-factory/github-double";
import { subscribedEvents } from "../sandbox/sandbox.js";
import { checkRecord } from "../state/carriers.js";
import { decodeBlocks } from "../state/codec.js";
import { foldRecords } from "../state/fold.js";
import type { SignedRecord } from "../state/records.js";

/**
 * The load benchmark (`npm run bench -- load`): a burst of concurrent, signed
 * deliveries over real HTTP to the app on the GitHub double, with one and with two
 * app processes on a real redis-server, and the same burst to a bare Probot app
 * with a no-op handler, in the same run, so the acknowledgement can be compared.
 * Each issue gets its label, two `/factory status` comments and two redeliveries
 * of the label; the line runs intake and the scout for each (no coding agent is
 * configured, so it waits at build). Acknowledgement times are the median over
 * several bursts (after one that warms up), each measured on bare Probot first with
 * the same deliveries.
 */

const BARE_PROBOT = new URL("../sandbox/bare-probot.ts", import.meta.url).pathname;
/** The sample repository without a coding agent: the line stops at build, so the burst's cost is the event path's. */
const FILES = { ...SAMPLE_REPO, ".github/factory.yml": "ledger:\n  issue: true\n" };
const PER_ISSUE = 5;

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface LoadRun {
  processes: number;
  ack: Latency;
  bare: Latency;
  /** The app's ack p99 over bare Probot's, in the same run. */
  ratio: number;
  /** Deliveries the app answered per second, the line's own follow-up events included, until it was idle. */
  eventsPerSecond: number;
  /** From each burst to an idle line, added up. */
  seconds: number;
  requests: number;
  writes: number;
  /** Changes of an artifact's stage or status, over every artifact. */
  transitions: number;
  requestsPerTransition: number;
  writesPerTransition: number;
  duplicates: number;
  lost: number;
  /** What the duplicates and losses were, when there are any. */
  problems: string[];
}

function latency(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

/** Builds the burst on the double with deliveries held: labels, commands and redeliveries of the labels. */
function burst(line: ProcessLine, deliveries: number): { issues: number[]; commands: number[]; held: Delivery[] } {
  const { double, sender } = line;
  const issues: number[] = [];
  const commands: number[] = [];
  sender.pause();
  const count = Math.max(1, Math.round(deliveries / PER_ISSUE));
  for (let i = 0; i < count; i++) {
    const issue = double.newIssue(double.user("alice"), `Dark mode setting has no effect (${i + 1})`, SAMPLE_ISSUE_BODY).number;
    issues.push(issue);
    double.addLabel(issue, "factory:intake");
    commands.push(double.postComment(issue, double.user("maintainer"), "/factory status").id);
    commands.push(double.postComment(issue, double.user("alice"), "/factory status\n\nIs this on?").id);
  }
  // A redelivery carries the same delivery id: twice for each label.
  const labels = sender.held.filter((d) => d.name === "issues" && d.action === "labeled").map((d) => d.id);
  for (const id of [...labels, ...labels]) sender.redeliver(id);
  return { issues, commands, held: [...sender.held] };
}

const SAMPLE_ISSUE_BODY = "### Goal\n\nDark mode works.\n\n### Success criteria\n\n- [ ] `theme({ dark: true })` returns `dark`\n";

/** A bare Probot app with the line's secret, for the same deliveries: started once per run, warmed, killed after. */
async function bareProbot(line: ProcessLine) {
  const port = await freePort();
  const bare = await startProcess(BARE_PROBOT, { ...line.env, LOG_LEVEL: "error" }, port);
  const sender = new WebhookSender({ url: bare.url, secret: line.secret, events: subscribedEvents() });
  return {
    /** Sends the deliveries all at once and reads the acknowledgement times. */
    async ack(held: readonly Delivery[]): Promise<number[]> {
      const answered = await sender.replay(held.map((d) => ({ ...d, id: `bare-${d.id}` })));
      const failed = answered.filter((d) => d.status !== 200);
      if (failed.length) throw new Error(`bare Probot refused ${failed.length} deliveries (status ${failed[0]?.status})`);
      return answered.map((d) => d.durationMs ?? 0);
    },
    async stop() {
      bare.child.kill("SIGKILL");
      await bare.exited;
    },
  };
}

/** The median of each round's figure: rounds differ by what else the machine does, the median less. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function medianLatency(rounds: Latency[]): Latency {
  return { p50: median(rounds.map((r) => r.p50)), p99: median(rounds.map((r) => r.p99)), max: Math.max(...rounds.map((r) => r.max)) };
}

function recordsOn(line: ProcessLine, thread: number): Array<{ comment: number; record: SignedRecord }> {
  const out: Array<{ comment: number; record: SignedRecord }> = [];
  for (const comment of line.double.commentsOn(thread)) {
    if (comment.user.login !== line.double.bot.login) continue;
    for (const block of decodeBlocks(comment.body)) {
      const checked = block.ok ? checkRecord(block.value, line.stateKey) : undefined;
      if (checked?.ok) out.push({ comment: comment.id, record: checked.record });
    }
  }
  return out;
}

/** Duplicated side effects and lost events, counted from what is on the double. */
function audit(line: ProcessLine, issues: number[], commands: number[]): { duplicates: number; lost: number; transitions: number; problems: string[] } {
  const { double } = line;
  const problems: string[] = [];
  let duplicates = 0;
  let lost = 0;
  let transitions = 0;
  const dup = (n: number, what: string) => {
    if (n > 1) {
      duplicates += n - 1;
      problems.push(`${n}× ${what}`);
    }
  };
  for (const issue of issues) {
    const pulls = double.pulls().filter((p) => p.pull?.head.startsWith(`factory/${issue}-`));
    const threads = [issue, ...pulls.map((p) => p.number)];
    const all = threads.flatMap((t) => recordsOn(line, t)).filter((r) => r.record.artifact.endsWith(`#${issue}`));
    const byKey = new Map<string, number>();
    const bySeq = new Map<number, number>();
    for (const { record } of all) {
      byKey.set(record.key, (byKey.get(record.key) ?? 0) + 1);
      bySeq.set(record.seq, (bySeq.get(record.seq) ?? 0) + 1);
    }
    for (const [key, n] of byKey) dup(n, `record ${key} on #${issue}`);
    for (const [seq, n] of bySeq) dup(n, `seq ${seq} on #${issue}`);
    dup(pulls.length, `PR for #${issue}`);
    dup(double.commentsOn(issue).filter((c) => c.user.login === double.bot.login && c.body.includes("software-factory:tracking")).length, `tracking comment on #${issue}`);
    const memos = all.filter((r) => r.record.kind === "stage.completed" && r.record.data.stage === "scout").length;
    dup(memos, `scout memo for #${issue}`);
    if (pulls.length === 0 || memos === 0) {
      lost += 1;
      problems.push(`#${issue} never reached build`);
    }
    const folded = foldRecords(`${double.owner}/${double.repo}#${issue}`.toLowerCase(), all.map((r) => r.record));
    let last = "intake/new";
    for (let i = 0; i < folded.records.length; i++) {
      const a = foldRecords(folded.artifact.id, folded.records.slice(0, i + 1)).artifact;
      const now = `${a.stage}/${a.status}`;
      if (now !== last) transitions += 1;
      last = now;
    }
  }
  const replies = new Map<number, number>();
  for (const issue of issues) {
    for (const { record } of recordsOn(line, issue)) {
      const match = /^comment:(\d+):0$/.exec(record.key);
      if (match) replies.set(Number(match[1]), (replies.get(Number(match[1])) ?? 0) + 1);
    }
  }
  for (const id of commands) {
    const n = replies.get(id) ?? 0;
    if (n === 0) {
      lost += 1;
      problems.push(`command comment ${id} never answered`);
    }
    dup(n, `answer to comment ${id}`);
  }
  dup([...double.issues.values()].filter((i) => i.labels.includes("factory:ledger")).length, "ledger issue");
  return { duplicates, lost, transitions, problems };
}

async function runWith(processes: number, deliveries: number, rounds: number, redisUrl: string, log: (line: string) => void): Promise<LoadRun> {
  // The ledger gathers changes as it does in production (2 s), so its cost is what a deployment pays.
  const line = await ProcessLine.start({ redis: { url: redisUrl, stop: async () => {} }, processes, files: FILES, env: { FACTORY_LEDGER_DELAY_MS: "2000" } });
  // The double's own contract checks are for its tests: here they would only load the machine the app shares.
  line.server.checkAnswers = false;
  line.double.permissions.set("maintainer", "maintain");
  const bare = await bareProbot(line);
  try {
    // Warm each process (Octokit, the token, the bot login) with one event, as a running deployment is.
    const warm = line.double.newIssue(line.double.user("alice"), "warm-up", null).number;
    for (let i = 0; i < processes; i++) line.double.postComment(warm, line.double.user("alice"), "/factory help");
    await line.idle();
    await bare.ack(line.sender.deliveries.slice(0, 1));
    const requestsBefore = [...line.double.counts.values()].reduce((a, b) => a + b, 0);
    const writesBefore = line.double.writes;
    const deliveredBefore = line.sender.deliveries.length;
    const issues: number[] = [];
    const commands: number[] = [];
    const acks: Latency[] = [];
    const bares: Latency[] = [];
    let seconds = 0;
    // One burst more than measured: the first warms both apps' code paths (JIT), as any benchmark's first rounds do.
    for (let round = -1; round < rounds; round++) {
      const made = burst(line, deliveries);
      issues.push(...made.issues);
      commands.push(...made.commands);
      // Bare Probot first, while the app waits: the same deliveries, the same machine.
      const bareRound = latency(await bare.ack(made.held));
      const sent = line.sender.deliveries.length;
      const started = Date.now();
      line.sender.resume({ concurrent: true });
      await line.sender.idle();
      const answered = line.sender.deliveries.slice(sent, sent + made.held.length);
      const refused = answered.filter((d) => d.status !== 200);
      if (refused.length) throw new Error(`the app refused ${refused.length} deliveries (status ${refused[0]?.status})`);
      await line.idle(600_000);
      seconds += (Date.now() - started) / 1000;
      if (round < 0) continue;
      acks.push(latency(answered.map((d) => d.durationMs ?? 0)));
      bares.push(bareRound);
    }
    const requests = [...line.double.counts.values()].reduce((a, b) => a + b, 0) - requestsBefore;
    const writes = line.double.writes - writesBefore;
    const { duplicates, lost, transitions, problems } = audit(line, issues, commands);
    const errors = line.errors();
    if (errors.length) problems.push(...errors.slice(0, 10).map((e) => `app error: ${e}`));
    const handled = line.sender.deliveries.length - deliveredBefore;
    const ack = medianLatency(acks);
    const bareAck = medianLatency(bares);
    log(`  ${processes} process${processes === 1 ? "" : "es"}: ${rounds} bursts of ${deliveries} deliveries after one to warm up (${issues.length} issues in all); ack p99 per burst ${acks.map((a) => a.p99).join(", ")} ms, bare ${bares.map((b) => b.p99).join(", ")} ms`);
    return {
      processes,
      ack,
      bare: bareAck,
      ratio: bareAck.p99 > 0 ? ack.p99 / bareAck.p99 : 0,
      eventsPerSecond: handled / seconds,
      seconds,
      requests,
      writes,
      transitions,
      requestsPerTransition: transitions ? requests / transitions : 0,
      writesPerTransition: transitions ? writes / transitions : 0,
      duplicates,
      lost,
      problems,
    };
  } finally {
    await bare.stop();
    await line.close();
  }
}

export async function benchLoad(options: { deliveries: number; processes: number[]; rounds: number; log: (line: string) => void }): Promise<LoadRun[]> {
  const redis = await startRedis();
  try {
    const runs: LoadRun[] = [];
    for (const processes of options.processes) runs.push(await runWith(processes, options.deliveries, options.rounds, redis.url, options.log));
    return runs;
  } finally {
    await redis.stop();
  }
}

export function loadTable(runs: readonly LoadRun[]): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  const header = "processes  ack p50  ack p99  bare p50  bare p99  p99/bare  events/s  requests  writes  req/transition  writes/transition  duplicates  lost";
  const rows = runs.map((r) =>
    [
      String(r.processes).padStart(9),
      `${f(r.ack.p50)} ms`.padStart(8),
      `${f(r.ack.p99)} ms`.padStart(8),
      `${f(r.bare.p50)} ms`.padStart(9),
      `${f(r.bare.p99)} ms`.padStart(9),
      f(r.ratio, 2).padStart(9),
      f(r.eventsPerSecond).padStart(9),
      String(r.requests).padStart(9),
      String(r.writes).padStart(7),
      f(r.requestsPerTransition).padStart(15),
      f(r.writesPerTransition).padStart(18),
      String(r.duplicates).padStart(11),
      String(r.lost).padStart(5),
    ].join(" "),
  );
  return [header, ...rows].join("\n");
}
