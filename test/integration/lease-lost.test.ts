/**
 * A holder whose lock lapsed stops before its next write (`LeaseLost`), and its event
 * is tried again: that is never GitHub's refusal, so no step may report it as one (a
 * pull request "GitHub refused", a post-run note it "could not write").
 */
import { describe, expect, it } from "vitest";
import type { DoubleRequest } from "@software-factory/github-double";
import { LeaseLost, MemoryLocks, type ArtifactLocks, type Lease } from "../../src/events/locks.js";
import { createScenario, VALID_BODY } from "../support/scenario.js";
import { intakeAndWait, mergeByHand, ScriptedRunner } from "../support/scripted-line.js";

/** Memory locks whose next lease check (armed by the test) finds the lock lost, once. */
class LosingLocks implements ArtifactLocks {
  readonly kind = "memory" as const;
  private readonly inner = new MemoryLocks();
  armed = false;
  lost = 0;

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    return this.inner.run(key, (lease) =>
      fn({
        ...lease,
        check: async () => {
          if (!this.armed) return;
          this.armed = false;
          this.lost++;
          throw new LeaseLost(key);
        },
      }),
    );
  }

  async close(): Promise<void> {}
}

describe("a lease lost before a write", () => {
  it("intake: the lock lost just before the pull request is opened is tried again, and the PR opens; nothing says GitHub refused it", async () => {
    const locks = new LosingLocks();
    const s = await createScenario({ app: { locks } });
    // The branch is made; the lock lapses before the next write (opening the PR).
    const handle = s.double.handle.bind(s.double);
    s.double.handle = (request: DoubleRequest) => {
      const answer = handle(request);
      if (request.method === "POST" && request.path.endsWith("/git/refs") && locks.lost === 0) locks.armed = true;
      return answer;
    };
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    expect(locks.lost).toBe(1);
    expect(s.double.pulls()).toHaveLength(1);
    expect(s.double.commentsOn(issue).filter((c) => c.body.includes("Could not handle"))).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("analyst: the lock lost just before the post-run note's commit is tried again, and the note is committed; it does not say it could not write", async () => {
    const locks = new LosingLocks();
    let scenario: Awaited<ReturnType<typeof createScenario>> | undefined;
    const runner = new ScriptedRunner(() => scenario as NonNullable<typeof scenario>, {
      build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `Feature ${issue}` }),
      verifyFailure: () => undefined,
    });
    const s = (scenario = await createScenario({ app: { locks, queue: runner, onServices: (services) => runner.attach(services.inbox) } }));
    s.double.writeFile(".github/factory.yml", `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, analyst: { runNotes: "commit" } })}\n`);
    const { pr } = await intakeAndWait(s, "Dark mode");
    // The analyst reads the PR's reviews, then writes: the lock lapses in between.
    const handle = s.double.handle.bind(s.double);
    s.double.handle = (request: DoubleRequest) => {
      const answer = handle(request);
      if (request.method === "GET" && request.path.endsWith(`/pulls/${pr}/reviews`) && locks.lost === 0) locks.armed = true;
      return answer;
    };
    await mergeByHand(s, pr);
    expect(locks.lost).toBe(1);
    const notes = s.double.commentsOn(pr).filter((c) => c.body.startsWith("### Post-run note: merged"));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toContain("committed to `main`");
    expect(notes[0]?.body).not.toContain("Could not write");
  });
});
