import { AxGEPA, AxMockAIService, type AxGEPAAdapter, type AxGenOut, type AxProgrammable, type AxTypedExample } from "@ax-llm/ax";

/**
 * GEPA over a cell's prompt template, with AxGEPA (@ax-llm/ax) as the search:
 *
 * | GEPA                | here                                                                  |
 * |---------------------|-----------------------------------------------------------------------|
 * | candidate           | `{ "<cell>::template": text }`: the cell's prompt template            |
 * | adapter.evaluate    | `replay`: one past artifact under a candidate, score 1/0 and feedback |
 * | reflective dataset  | per artifact: score and the feedback (verifier failures, reviews)    |
 * | reflection (propose)| `reflect`: the configured reflection model writes the next template   |
 * | Pareto front        | AxGEPA's, over the training artifacts' scores                         |
 * | budget              | `metricCalls` (replays) and `cost` (what replays report spending)     |
 *
 * The search only proposes: a template is accepted when its score on held-out
 * artifacts, which the search never saw, is higher than the current template's.
 */

export interface ReplayItem {
  /** The artifact, `owner/repo#issue`. */
  id: string;
}

export interface Replay {
  score: number;
  /** What went wrong (or right), in words a reflection model can act on. */
  feedback: string;
  /** What the replay spent (a harness's reported cost), when it says. */
  cost?: number;
}

export interface Reflection {
  cell: string;
  current: string;
  /** The reflective dataset: each artifact of the minibatch with its score and feedback. */
  dataset: Array<{ artifact: string; score: number; feedback: string }>;
}

export interface PromptSearchInput<I extends ReplayItem> {
  cell: string;
  /** The template in use now. */
  seed: string;
  train: readonly I[];
  heldOut: readonly I[];
  replay: (template: string, item: I) => Promise<Replay>;
  /** The reflection model: reads the dataset, answers with the whole next template. */
  reflect: (reflection: Reflection) => Promise<string>;
  budget: { metricCalls: number; cost?: number };
  trials?: number;
  minibatchSize?: number;
  random?: number;
}

export interface Scored {
  template: string;
  score: number;
  perArtifact: Record<string, number>;
}

export interface PromptSearchResult {
  accepted: boolean;
  reason: string;
  seed: Scored;
  best: Scored;
  /** Replays run, the search's and the held-out comparison's. */
  metricCalls: number;
  cost: number;
  /** Templates the search proposed, in order. */
  candidates: string[];
  /** The Pareto front over the training artifacts: each template with its scores. */
  front: Array<{ template: string; scores: Record<string, number> }>;
  /** Reflections that failed (AxGEPA drops them quietly; they are said here). */
  problems: string[];
  budgetSpent: boolean;
}

export async function searchPrompt<I extends ReplayItem>(input: PromptSearchInput<I>): Promise<PromptSearchResult> {
  const key = `${input.cell}::template`;
  const trained = new Set(input.train.map((item) => item.id));
  const overlap = input.heldOut.filter((item) => trained.has(item.id));
  if (overlap.length) throw new Error(`held-out artifacts must not be searched on: ${overlap.map((item) => item.id).join(", ")}`);
  let metricCalls = 0;
  let searchCalls = 0;
  let cost = 0;
  let budgetSpent = false;
  const candidates: string[] = [];
  const problems: string[] = [];

  // The search's replays stop once the cost budget is spent; the held-out comparison always runs (it is what decides).
  const replay = async (template: string, item: I, budgeted = true): Promise<Replay> => {
    if (budgeted && input.budget.cost !== undefined && cost >= input.budget.cost) {
      budgetSpent = true;
      return { score: 0, feedback: "not run: the cost budget is spent" };
    }
    metricCalls++;
    if (budgeted) searchCalls++;
    try {
      const result = await input.replay(template, item);
      cost += result.cost ?? 0;
      return result;
    } catch (error) {
      // A replay that breaks scores 0 and is said; AxGEPA would otherwise take the whole batch as failed, quietly.
      const reason = (error as Error).message.split("\n")[0]?.slice(0, 300) ?? "unknown error";
      problems.push(`replay of ${item.id} failed: ${reason}`);
      return { score: 0, feedback: `the replay failed: ${reason}` };
    }
  };

  const adapter: AxGEPAAdapter<I, { artifact: string; feedback: string }, Replay> = {
    async evaluate(batch, candidate, captureTraces) {
      const template = candidate[key] ?? input.seed;
      // Replays run side by side, or one by one under a cost budget, so that no more start once it is spent.
      const outputs: Replay[] = [];
      if (input.budget.cost === undefined) outputs.push(...(await Promise.all(batch.map((item) => replay(template, item)))));
      else for (const item of batch) outputs.push(await replay(template, item));
      return {
        outputs,
        scores: outputs.map((o) => o.score),
        trajectories: captureTraces ? outputs.map((o, i) => ({ artifact: (batch[i] as I).id, feedback: o.feedback })) : null,
      };
    },
    make_reflective_dataset(_candidate, evalBatch, components) {
      const rows = (evalBatch.trajectories ?? []).map((t, i) => ({ ...t, score: evalBatch.scores[i] ?? 0 }));
      return Object.fromEntries(components.map((c) => [c, rows]));
    },
    async propose_new_texts(candidate, dataset, components) {
      const out: Record<string, string> = {};
      for (const component of components) {
        try {
          const next = (await input.reflect({ cell: input.cell, current: candidate[component] ?? input.seed, dataset: (dataset[component] ?? []) as Reflection["dataset"] })).trim();
          if (next && next !== candidate[component]) {
            out[component] = next;
            candidates.push(next);
          }
        } catch (error) {
          problems.push(`reflection failed: ${(error as Error).message.slice(0, 300)}`);
        }
      }
      return out;
    },
  };

  // What AxGEPA optimizes: one text component. It runs nothing itself (the adapter replays).
  const program = {
    template: input.seed,
    getOptimizableComponents: () => [{ key, kind: "instruction", current: program.template, description: `The ${input.cell} cell's prompt template (Mustache).` }],
    applyOptimizedComponents: (updates: Record<string, string>) => {
      if (typeof updates[key] === "string") program.template = updates[key];
    },
    forward: async () => {
      throw new Error("the adapter replays artifacts; the program is never run");
    },
    setDemos: () => {},
  };
  // The constructor wants AI services; with the adapter proposing, neither is called.
  const unused = new AxMockAIService<string>({ chatResponse: async () => Promise.reject(new Error("no model is called: the adapter reflects")) });
  const gepa = new AxGEPA({ studentAI: unused, teacherAI: unused, numTrials: input.trials ?? 8, minibatch: true, minibatchSize: input.minibatchSize ?? 3, seed: input.random ?? 1, verbose: false });
  // AxGEPA types examples as signature inputs; ours are artifacts the adapter alone reads.
  const examples = input.train as unknown as readonly AxTypedExample<Record<string, never>>[];
  const result = await gepa.compile(program as unknown as AxProgrammable<Record<string, never>, AxGenOut>, examples, () => 0, { maxMetricCalls: input.budget.metricCalls, gepaAdapter: adapter });

  const bestTemplate = result.optimizedProgram?.componentMap?.[key] ?? input.seed;
  const front = result.paretoFront.map((p) => ({ template: String((p.configuration.componentMap as Record<string, unknown> | undefined)?.[key] ?? input.seed), scores: { ...p.scores } }));

  // The held-out comparison: the search never saw these artifacts.
  const scoreOn = async (template: string): Promise<Scored> => {
    const perArtifact: Record<string, number> = {};
    for (const item of input.heldOut) perArtifact[item.id] = (await replay(template, item, false)).score;
    const values = Object.values(perArtifact);
    return { template, perArtifact, score: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0 };
  };
  const seed = await scoreOn(input.seed);
  const best = bestTemplate === input.seed ? seed : await scoreOn(bestTemplate);
  const accepted = best.template !== input.seed && best.score > seed.score;
  const figures = `held-out score ${seed.score.toFixed(3)} → ${best.score.toFixed(3)} on ${input.heldOut.length} artifacts`;
  const reason =
    best.template === input.seed
      ? `not accepted: the search found nothing better than the current template (${candidates.length} candidates tried${candidates.length && searchCalls + input.train.length > input.budget.metricCalls ? `; the budget of ${input.budget.metricCalls} replays ran out before a candidate was scored on every training artifact, so a larger budget may find one` : ""})`
      : accepted
        ? `accepted: ${figures}`
        : `not accepted: ${figures}, not higher`;
  return { accepted, reason, seed, best, metricCalls, cost, candidates, front, problems, budgetSpent };
}
