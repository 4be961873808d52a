import { describe, expect, it } from "vitest";
import { AckGate } from "../../src/events/ack-gate.js";

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("AckGate", () => {
  it("is open when no delivery is being acknowledged", async () => {
    const gate = new AckGate(5, 1_000);
    let passed = false;
    await gate.quiet().then(() => (passed = true));
    expect(passed).toBe(true);
  });

  it("holds the line's work while deliveries are acknowledged, and a moment after the last, then lets it go", async () => {
    const gate = new AckGate(20, 5_000);
    const order: string[] = [];
    let finish!: () => void;
    const ack = gate.around(() => new Promise<void>((resolve) => (finish = resolve)).then(() => void order.push("acked")));
    const work = gate.quiet().then(() => order.push("work"));
    await later(30);
    expect(order).toEqual([]);
    finish();
    await ack;
    await later(5);
    // Within the settle time after the last acknowledgement the gate stays shut.
    expect(order).toEqual(["acked"]);
    await work;
    expect(order).toEqual(["acked", "work"]);
  });

  it("lets the work through after maxWaitMs under a steady stream of deliveries", async () => {
    const gate = new AckGate(5, 40);
    let stop = false;
    const stream = (async () => {
      while (!stop) await gate.around(() => later(10));
    })();
    const started = Date.now();
    await gate.quiet();
    const waited = Date.now() - started;
    stop = true;
    await stream;
    expect(waited).toBeGreaterThanOrEqual(35);
    expect(waited).toBeLessThan(1_000);
  });
});
