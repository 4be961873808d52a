import { describe, expect, it } from "vitest";
import { Background } from "../../src/cells/background.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("Background", () => {
  it("runs serial jobs with the same key one at a time, in order", async () => {
    const errors: unknown[] = [];
    const bg = new Background((_k, e) => errors.push(e));
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    for (const name of ["a", "b", "c"]) {
      bg.serial("k", async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        active--;
      });
    }
    await bg.idle();
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(maxActive).toBe(1);
    expect(errors).toEqual([]);
  });

  it("runs different keys concurrently", async () => {
    const bg = new Background(() => {});
    let active = 0;
    let maxActive = 0;
    for (const key of ["x", "y"]) {
      bg.serial(key, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await tick();
        active--;
      });
    }
    await bg.idle();
    expect(maxActive).toBe(2);
  });

  it("keeps going after a failed job, reporting it with its key", async () => {
    const errors: Array<[string, string]> = [];
    const bg = new Background((key, e) => errors.push([key, (e as Error).message]));
    const ran: string[] = [];
    bg.serial("k", async () => {
      throw new Error("boom");
    });
    bg.serial("k", async () => {
      ran.push("after");
    });
    await bg.idle();
    expect(errors).toEqual([["k", "boom"]]);
    expect(ran).toEqual(["after"]);
  });

  it("coalesces a burst into the running job plus one more", async () => {
    const bg = new Background(() => {});
    let runs = 0;
    const job = async () => {
      runs++;
      await tick();
    };
    for (let i = 0; i < 10; i++) bg.coalesce("ledger", job);
    await bg.idle();
    expect(runs).toBe(2);
  });

  it("idle waits for work enqueued by work", async () => {
    const bg = new Background(() => {});
    const done: string[] = [];
    bg.serial("a", async () => {
      await tick();
      bg.coalesce("b", async () => {
        await tick();
        done.push("b");
      });
    });
    await bg.idle();
    expect(done).toEqual(["b"]);
  });
});
