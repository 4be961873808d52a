import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/bench.js";

describe("npm run bench -- load", () => {
  it("runs a small burst end to end against one app process and a bare Probot app, and ends with one JSON line", async () => {
    const lines: string[] = [];
    const code = await main(["load", "--deliveries", "10", "--processes", "1", "--rounds", "1"], (line) => lines.push(line));
    const result = JSON.parse(lines.at(-1) ?? "{}") as { deliveries: number; runs: Array<Record<string, number> & { ack: { p99: number }; bare: { p99: number } }> };
    expect(code).toBe(0);
    expect(result.deliveries).toBe(10);
    const [run] = result.runs;
    // A burst to warm up and the measured one, two issues each, each opened then scouted.
    expect(run).toMatchObject({ processes: 1, duplicates: 0, lost: 0, transitions: 8 });
    expect(run?.ack.p99).toBeGreaterThan(0);
    expect(run?.bare.p99).toBeGreaterThan(0);
    expect(run?.requestsPerTransition).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes("processes  ack p50"))).toBe(true);
  }, 120_000);

  it("refuses options it cannot use, with the usage", async () => {
    const lines: string[] = [];
    expect(await main(["load", "--processes", "0"], (line) => lines.push(line))).toBe(2);
    expect(lines.join("\n")).toContain("npm run bench -- load");
  });
});
