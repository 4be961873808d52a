import { contractFor, loadContracts, type CellContract } from "../cells/contracts.js";
import { renderBuilderPrompt, type BuilderInput } from "../stages/build/prompt.js";
import { searchPrompt, type PromptSearchResult, type Reflection, type Replay } from "../stages/learn/prompt-search.js";

/**
 * The learning benchmark, offline: past artifacts whose outcome depends on what the
 * builder's prompt says, a scripted harness that reads the real rendered prompt
 * (it runs the formatter, or adds a test, only when the prompt tells it to), the
 * verification each artifact had (a format check, a reviewer asking for a test),
 * and a scripted reflection model that answers the feedback it is shown. It
 * measures the machinery (search, Pareto front, budget, held-out acceptance), not
 * a model: a real run replays with the configured harness and reflection model.
 */

type Kind = "format" | "test" | "plain";

interface Artifact {
  id: string;
  kind: Kind;
  input: BuilderInput;
}

function artifact(n: number, kind: Kind): Artifact {
  const goal = { format: "Rename the `retries` option to `attempts`.", test: "Reject a negative timeout with a clear error.", plain: "Fix the typo in the CLI's help text." }[kind];
  return {
    id: `acme/widgets#${n}`,
    kind,
    input: { artifact: `acme/widgets#${n}`, title: goal, goal, criteria: ["the change works as described"], branch: `factory/${n}-change`, attempt: 1 },
  };
}

/** What the scripted harness does with a prompt: the instructions it follows, read from the prompt's text. */
export function harnessActions(prompt: string): { formats: boolean; tests: boolean } {
  return { formats: /\brun the (repository's |project's )?formatter\b/i.test(prompt), tests: /\badd (or update )?(a )?tests?\b/i.test(prompt) };
}

function replayWith(contract: CellContract) {
  return async (template: string, item: Artifact): Promise<Replay> => {
    const prompt = renderBuilderPrompt({ ...contract, prompt: template }, item.input, "acme/widgets");
    const did = harnessActions(prompt);
    const cost = 0.01;
    if (item.kind === "format" && !did.formats) return { score: 0, cost, feedback: "verify: `npm run format:check` failed: src/options.ts is not formatted (prettier --check)" };
    if (item.kind === "test" && !did.tests) return { score: 0, cost, feedback: "review: changes requested on src/timeout.ts: no test covers the new error; add one" };
    return { score: 1, cost, feedback: "verified: the checks passed and the PR merged without requested changes" };
  };
}

/** The scripted reflection model: it adds the instruction the feedback asks for, once. */
export async function reflectOnFeedback(reflection: Reflection): Promise<string> {
  const feedback = reflection.dataset.map((d) => d.feedback).join("\n");
  let next = reflection.current.trimEnd();
  if (/is not formatted/.test(feedback) && !harnessActions(next).formats) next += "\n\nRun the repository's formatter on the files you changed before you commit.";
  if (/no test covers/.test(feedback) && !harnessActions(next).tests) next += "\n\nAdd a test for each success criterion.";
  return `${next}\n`;
}

/** A reflection model that gets it wrong: formatting added, the instruction to test taken out. */
export async function reflectHarmfully(reflection: Reflection): Promise<string> {
  const next = reflection.current.replace(/Add or update tests for the success criteria\.\s*/g, "").replace(/Add a test for each success criterion\.\s*/g, "").trimEnd();
  return `${next}\n\nRun the repository's formatter on the files you changed before you commit. Do not change test files.\n`;
}

export interface LearnBench {
  honest: PromptSearchResult;
  harmful: PromptSearchResult;
}

export async function benchLearn(options: { metricCalls?: number } = {}): Promise<LearnBench> {
  const builder = contractFor(loadContracts(), "build");
  if (!builder?.prompt) throw new Error("no builder contract with a prompt under cells/");
  // The builder's template, with its instruction to test left out: the line's own seed would already pass "test" artifacts.
  const seed = builder.prompt.replace("Add or update tests for the success criteria. ", "");
  const kinds: Kind[] = ["format", "test", "plain", "format", "test", "plain", "format", "plain"];
  const train = kinds.map((kind, i) => artifact(101 + i, kind));
  const heldOut = (["format", "test", "plain", "test", "test", "plain"] as Kind[]).map((kind, i) => artifact(201 + i, kind));
  const replay = replayWith(builder);
  const budget = { metricCalls: options.metricCalls ?? 80, cost: 2 };
  const honest = await searchPrompt({ cell: "builder", seed, train, heldOut, replay, reflect: reflectOnFeedback, budget });
  // The harmful model searches on artifacts where dropping tests costs nothing; the held-out ones need tests.
  const harmfulTrain = train.filter((a) => a.kind !== "test");
  const harmful = await searchPrompt({ cell: "builder", seed: builder.prompt, train: harmfulTrain, heldOut, replay, reflect: reflectHarmfully, budget });
  return { honest, harmful };
}

export function learnReport(result: LearnBench): string[] {
  const f = (n: number) => n.toFixed(3);
  const lines: string[] = [];
  for (const [name, r] of [
    ["scripted reflection", result.honest],
    ["harmful reflection", result.harmful],
  ] as const) {
    lines.push(
      `${name}: held-out ${f(r.seed.score)} → ${f(r.best.score)} (${Object.keys(r.seed.perArtifact).length} artifacts); ${r.accepted ? "accepted" : "not accepted"}; ${r.metricCalls} metric calls, cost ${r.cost.toFixed(2)}; ${r.candidates.length} candidates; Pareto front ${r.front.length}`,
    );
    lines.push(`  ${r.reason}`);
    for (const problem of r.problems) lines.push(`  problem: ${problem}`);
  }
  return lines;
}
