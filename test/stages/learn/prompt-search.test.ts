import { describe, expect, it } from "vitest";
import { benchLearn, harnessActions } from "../../../src/cli/bench-learn.js";
import { searchPrompt, type Replay } from "../../../src/stages/learn/prompt-search.js";

// A world where a template passes an artifact when it says that artifact's word.
const items = ["alpha", "beta", "gamma", "delta"].map((word, i) => ({ id: `acme/widgets#${i + 1}`, word }));
// Held out: the same words, other artifacts.
const heldOut = ["alpha", "beta"].map((word, i) => ({ id: `acme/widgets#${i + 11}`, word }));
const replay = async (template: string, item: { word: string }): Promise<Replay> =>
  template.includes(item.word) ? { score: 1, feedback: "passed", cost: 0.1 } : { score: 0, feedback: `failed: the prompt never mentions ${item.word}`, cost: 0.1 };
const mentionAll = async ({ current, dataset }: { current: string; dataset: Array<{ feedback: string }> }) =>
  `${current} ${dataset.flatMap((d) => /mentions (\w+)/.exec(d.feedback)?.[1] ?? []).join(" ")}`;

describe("searchPrompt (AxGEPA over a template)", () => {
  it("a template the reflection improves is accepted on held-out artifacts, with its per-artifact scores", async () => {
    const result = await searchPrompt({ cell: "builder", seed: "Do the work.", train: items, heldOut, replay, reflect: mentionAll, budget: { metricCalls: 40 } });
    expect(result.accepted).toBe(true);
    expect(result.seed.perArtifact).toEqual({ "acme/widgets#11": 0, "acme/widgets#12": 0 });
    expect(result.best.perArtifact).toEqual({ "acme/widgets#11": 1, "acme/widgets#12": 1 });
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.front.length).toBeGreaterThan(0);
    // The search keeps to its budget; the held-out comparison adds two replays per held-out artifact.
    expect(result.metricCalls).toBeLessThanOrEqual(40 + 2 * 2);
    expect(result.cost).toBeCloseTo(result.metricCalls * 0.1, 5);
  });

  it("a reflection that never answers leaves the template as it is, and says why", async () => {
    const result = await searchPrompt({
      cell: "builder",
      seed: "Do the work.",
      train: items,
      heldOut,
      replay,
      reflect: async () => Promise.reject(new Error("the model is unreachable")),
      budget: { metricCalls: 20 },
    });
    expect(result.accepted).toBe(false);
    expect(result.best.template).toBe("Do the work.");
    expect(result.problems[0]).toBe("reflection failed: the model is unreachable");
    expect(result.reason).toMatch(/^not accepted: the search found nothing better/);
  });

  it("a budget too small to score a candidate on every training artifact says so", async () => {
    const result = await searchPrompt({ cell: "builder", seed: "Do the work.", train: items, heldOut, replay, reflect: mentionAll, budget: { metricCalls: 8 }, trials: 2 });
    expect(result.accepted).toBe(false);
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.reason).toMatch(/the budget of 8 replays ran out before a candidate was scored on every training artifact, so a larger budget may find one\)$/);
    const enough = await searchPrompt({ cell: "builder", seed: "Do the work.", train: items, heldOut, replay, reflect: async () => "Do the work.", budget: { metricCalls: 40 }, trials: 2 });
    expect(enough.reason).toBe("not accepted: the search found nothing better than the current template (0 candidates tried)");
  });

  it("stops replaying once the cost budget is spent (the replay that crossed it is the last)", async () => {
    const result = await searchPrompt({ cell: "builder", seed: "Do the work.", train: items, heldOut, replay, reflect: mentionAll, budget: { metricCalls: 40, cost: 0.5 } });
    expect(result.budgetSpent).toBe(true);
    // The search stopped at the budget (one replay past it at most); the held-out comparison still ran, and is counted.
    const heldOutCost = (result.best.template === result.seed.template ? 1 : 2) * heldOut.length * 0.1;
    expect(result.cost).toBeLessThanOrEqual(0.5 + 0.1 + heldOutCost + 1e-9);
    expect(Object.keys(result.seed.perArtifact)).toEqual(heldOut.map((i) => i.id));
  });

  it("a replay that breaks scores 0 and is said; held-out artifacts the search saw are refused", async () => {
    const flaky = async (template: string, item: { id: string; word: string }) => {
      if (item.id === "acme/widgets#3") throw new Error("the harness crashed\nstack…");
      return replay(template, item);
    };
    const result = await searchPrompt({ cell: "builder", seed: "Do the work.", train: items, heldOut, replay: flaky, reflect: mentionAll, budget: { metricCalls: 20 } });
    expect(result.problems).toContain("replay of acme/widgets#3 failed: the harness crashed");
    await expect(searchPrompt({ cell: "builder", seed: "x", train: items, heldOut: items.slice(0, 1), replay, reflect: mentionAll, budget: { metricCalls: 10 } })).rejects.toThrow(
      "held-out artifacts must not be searched on: acme/widgets#1",
    );
  });
});

describe("the learning benchmark (npm run bench -- learn)", () => {
  it("the scripted harness follows only what the rendered prompt says", () => {
    expect(harnessActions("Run the repository's formatter on the files you changed.")).toEqual({ formats: true, tests: false });
    expect(harnessActions("Add or update tests for the success criteria.")).toEqual({ formats: false, tests: true });
  });

  it("raises the held-out score with the scripted reflection, and never accepts the harmful reflection's candidate", async () => {
    const { honest, harmful } = await benchLearn();
    expect(honest).toMatchObject({ accepted: true, seed: { score: 2 / 6 }, best: { score: 1 } });
    expect(honest.best.template).toMatch(/Run the repository's formatter/);
    expect(harmful.best.score).toBeLessThan(harmful.seed.score);
    expect(harmful.accepted).toBe(false);
  });
});
