/**
 * Writes whose answers are lost: the double performs the write, then answers 502,
 * as when GitHub did the work and the connection failed on the way back. The app
 * must not repeat such a write blindly: the event is tried again from a fresh read,
 * which finds what the lost write made.
 */
import { describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { checkRecord } from "../../src/state/carriers.js";
import { decodeBlocks } from "../../src/state/codec.js";
import type { SignedRecord } from "../../src/state/records.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const AGENT = `
import { writeFileSync } from "node:fs";
writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
console.log("fixed src/theme.js");
`;

const files = {
  ...SAMPLE_FILES,
  "agent.mjs": AGENT,
  ".github/factory.yml": `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } } })}\n`,
};

let sb: Sandbox;
// One write in ten losing its answer is far beyond GitHub's rate, and the sandbox retries on a millisecond clock
// (six tries within ~0.1 s): an event that met several lost answers in a row would be given up before the
// busy machine served it. The claim here is what a retry does (finds what the lost write made, duplicates
// nothing), so events get ten tries.
useSandbox((next) => void (sb = next), { files, eventAttempts: 10 });

function records(thread: number): SignedRecord[] {
  const out: SignedRecord[] = [];
  for (const comment of sb.double.commentsOn(thread)) {
    if (comment.user.login !== sb.double.bot.login) continue;
    for (const block of decodeBlocks(comment.body)) {
      const checked = block.ok ? checkRecord(block.value, sandboxKey(sb)) : undefined;
      if (checked?.ok) out.push(checked.record);
    }
  }
  return out;
}

describe("lost answers", () => {
  it("10% of writes lose their answer across 10 artifacts: every artifact completes, nothing is duplicated", async () => {
    sb.injectFaults({ rate: 0.1, kinds: ["lost"], seed: 11 });
    const issues = Array.from({ length: 10 }, (_, i) => sb.openIssue("alice", `Dark theme ${i + 1}`, VALID_BODY).number);
    for (const issue of issues) sb.label(issue, "factory:intake");
    await sb.idle();
    sb.injectFaults(undefined);

    const lost = sb.server.injected.filter((f) => f.startsWith("lost "));
    expect(lost.length).toBeGreaterThanOrEqual(10);
    expect(sb.double.pulls()).toHaveLength(10);
    for (const issue of issues) {
      const artifact = foldFromDouble(sb.double, issue, sandboxKey(sb));
      // Label → scout → build → verify → package: each artifact waits for its review.
      expect(artifact).toMatchObject({ stage: "analyst", status: "active" });
      const pr = artifact.pr as number;
      const all = [...records(issue), ...records(pr)];
      const keys = all.map((r) => r.key);
      expect(new Set(keys).size).toBe(keys.length);
      const seqs = all.map((r) => r.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      const stages = all.filter((r) => r.kind === "stage.completed").map((r) => (r.kind === "stage.completed" ? r.data.stage : ""));
      expect(stages).toEqual(["scout", "build", "verify", "package"]);
      expect(sb.double.commentsOn(issue).filter((c) => c.user.type === "Bot" && c.body.includes("software-factory:tracking"))).toHaveLength(1);
      const head = sb.double.pulls().find((p) => p.number === pr)?.pull?.headSha;
      expect([...sb.double.checks.runs.values()].filter((r) => r.head_sha === head && r.name === "factory/verify")).toHaveLength(1);
      // The bot's comments are exactly its records' comments, the tracking comment and nothing else.
      const botComments = [...sb.double.commentsOn(issue), ...sb.double.commentsOn(pr)].filter((c) => c.user.type === "Bot");
      expect(botComments).toHaveLength(all.length);
    }
    expect([...sb.double.issues.values()].filter((i) => i.labels.includes("factory:ledger"))).toHaveLength(1);
    expect([...sb.double.refs.keys()].filter((r) => r.startsWith("heads/factory/"))).toHaveLength(10);
  }, 120_000);
});
