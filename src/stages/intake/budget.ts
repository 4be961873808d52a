import { GITHUB_TITLE_LIMIT } from "../../line/body.js";
import { clip } from "../../line/text.js";
import { cutEscaped, escapedLength } from "../../state/codec.js";

/**
 * What of a request the line keeps, decided up front so nothing is refused by
 * GitHub mid-stage: the title at GitHub's 256 characters; the goal and the criteria
 * counted as they take room in the hidden record (after escaping), well inside one
 * comment's 65,536 characters with the tracking view around them.
 */
export const INTAKE_BUDGET = {
  title: GITHUB_TITLE_LIMIT,
  /** Characters of the goal inside the record. */
  goal: 6_000,
  criteria: 30,
  /** Characters of one criterion inside the record. */
  criterion: 500,
  /** Characters of all the criteria inside the record. */
  allCriteria: 8_000,
} as const;

export interface FittedRequest {
  title: string;
  goal: string;
  criteria: string[];
  /** What was cut, in words a person reads on the PR and the tracking comment. */
  cut: string[];
}

const chars = (n: number) => `${n.toLocaleString("en-US")} characters`;

/** The request within {@link INTAKE_BUDGET}, with a note for each cut. */
export function fitRequest(request: { title: string; goal: string; criteria: readonly string[] }, budget = INTAKE_BUDGET): FittedRequest {
  const cut: string[] = [];
  const title = clip(request.title, budget.title);
  if (title.length < request.title.length) cut.push(`The title was cut at ${chars(title.length)}.`);
  const goal = cutEscaped(request.goal, budget.goal);
  if (goal.length < request.goal.length) cut.push(`The goal was cut at ${chars(goal.length)} (of ${request.goal.length.toLocaleString("en-US")}); the full text is on the issue.`);
  const criteria: string[] = [];
  let room: number = budget.allCriteria;
  const longer: number[] = [];
  for (const [index, criterion] of request.criteria.slice(0, budget.criteria).entries()) {
    const kept = cutEscaped(criterion, Math.min(budget.criterion, room));
    if (kept.length === 0) break;
    if (kept.length < criterion.length) longer.push(index + 1);
    criteria.push(kept);
    room -= escapedLength(kept);
  }
  if (longer.length) cut.push(`Success criteri${longer.length === 1 ? "on" : "a"} ${longer.join(", ")} ${longer.length === 1 ? "was" : "were"} cut to fit; the full text is on the issue.`);
  if (criteria.length < request.criteria.length) {
    cut.push(`Only the first ${criteria.length} of ${request.criteria.length} success criteria are used (at most ${budget.criteria}, ${chars(budget.allCriteria)} in all); split the request into smaller issues to keep them all.`);
  }
  return { title, goal, criteria, cut };
}
