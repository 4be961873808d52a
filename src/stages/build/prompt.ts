import Mustache from "mustache";
import type { CellContract } from "../../cells/contracts.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { SignedRecord } from "../../state/records.js";
import { feedbackFor } from "./feedback.js";
import type { ScoutMemo } from "../scout/memo.js";
import { cutToBytes } from "../../line/text.js";

export interface BuilderInput {
  artifact: string;
  title: string;
  goal: string;
  criteria: string[];
  branch: string;
  attempt: number;
  memo?: ScoutMemo;
  lessons?: Array<{ title: string; text: string }>;
  feedback?: Array<{ source: string; text: string }>;
}

/** The latest valid output a stage recorded for this artifact, if any. */
export function latestOutput(records: readonly SignedRecord[], stage: string): Record<string, unknown> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i];
    if (record?.kind === "stage.completed" && record.data.stage === stage && record.data.output) return record.data.output;
  }
  return undefined;
}

/**
 * The builder's input for an artifact as its records stand: goal, criteria, the
 * latest scout memo, and what earlier attempts got wrong. Lessons are added by the
 * runner that can read them.
 */
export function builderInput(loaded: LoadedArtifact, lessons: BuilderInput["lessons"] = []): BuilderInput {
  const { artifact } = loaded;
  const memo = latestOutput(loaded.records, "scout") as ScoutMemo | undefined;
  return {
    artifact: loaded.id,
    title: artifact.title,
    goal: artifact.goal,
    criteria: artifact.criteria,
    branch: artifact.branch as string,
    attempt: (artifact.attempts.build ?? 0) + 1,
    ...(memo ? { memo } : {}),
    lessons,
    feedback: feedbackFor(loaded.records),
  };
}

/** Prompts are capped in UTF-8 bytes: an argv element must stay under Linux's 128 KiB, and a model's context is finite. */
export const PROMPT_LIMIT = 100_000;

/** The scout memo as the builder's prompt shows it: the first ten of each list, and one command to verify with. */
export function promptMemo(memo: Pick<ScoutMemo, "likelyFiles" | "relatedTests" | "constraints" | "verification">) {
  return {
    likelyFiles: memo.likelyFiles.slice(0, 10).map((f) => ({ path: f.path, why: f.reasons.join("; ") })),
    relatedTests: memo.relatedTests.slice(0, 10),
    constraints: memo.constraints.slice(0, 10),
    verify: memo.verification.focused ?? memo.verification.commands[0]?.command ?? "",
  };
}

/**
 * Renders `cells/builder/prompt.md`. The text is untrusted: it goes in as
 * data under headings, after the factory's own instructions, and the template says so.
 */
export function renderBuilderPrompt(contract: CellContract, input: BuilderInput, repo: string): string {
  if (!contract.prompt) throw new Error(`cells/${contract.name}/prompt.md is missing`);
  const memo = input.memo;
  const view = {
    ...input,
    repo,
    memo: memo ? { ...promptMemo(memo), hasTests: memo.relatedTests.length > 0, hasConstraints: memo.constraints.length > 0 } : false,
    hasLessons: (input.lessons?.length ?? 0) > 0,
    hasFeedback: (input.feedback?.length ?? 0) > 0,
  };
  const text = Mustache.render(contract.prompt, view, undefined, { escape: (value: unknown) => String(value) }).replace(/\n{3,}/g, "\n\n").trim();
  return Buffer.byteLength(text) <= PROMPT_LIMIT ? `${text}\n` : `${cutToBytes(text, PROMPT_LIMIT)}\n\n[The prompt was cut at ${PROMPT_LIMIT} bytes.]\n`;
}
