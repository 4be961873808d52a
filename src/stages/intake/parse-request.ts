import { slugOf } from "../../line/text.js";

/**
 * Reads a factory request out of an issue: a goal and success criteria.
 *
 * Two shapes are accepted: the issue form (`### Goal`, `### Success criteria`
 * sections, as `templates/issue-forms/factory-intake.yml` produces) and free text
 * with a "Success criteria" (or "Acceptance criteria") heading followed by a
 * checklist or bullets.
 */

export interface ParsedRequest {
  goal: string;
  criteria: string[];
  /** What a person must add before the factory can start; empty when ready. */
  missing: string[];
}

const CRITERIA_HEADING = /^(success|acceptance)\s+criteria\b|^definition\s+of\s+done\b|^done\s+when\b/i;
const GOAL_HEADING = /^(goal|summary|what|description|problem)\b/i;
const EMPTY_FORM_ANSWER = /^_?no response_?$/i;

interface Section {
  heading: string | undefined;
  lines: string[];
}

/** Markdown headings (`#`..`######`), bold-only lines (`**Success criteria**`) or `Success criteria:` start a section. */
function headingOf(line: string): string | undefined {
  const atx = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (atx) return atx[1];
  const bold = /^ {0,3}(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$/.exec(line);
  if (bold) return bold[1]?.replace(/:$/, "");
  const colon = /^ {0,3}([A-Za-z][A-Za-z ]{2,40}):\s*$/.exec(line);
  if (colon && (CRITERIA_HEADING.test(colon[1] ?? "") || GOAL_HEADING.test(colon[1] ?? ""))) return colon[1];
  return undefined;
}

/** Splits a body into sections, skipping fenced code and HTML comments. */
function sections(body: string): Section[] {
  const out: Section[] = [{ heading: undefined, lines: [] }];
  let fence: string | undefined;
  const text = body.replace(/<!--[\s\S]*?-->/g, "");
  for (const line of text.split(/\r?\n/)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1] ?? "";
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      out[out.length - 1]?.lines.push(line);
      continue;
    }
    const heading = fence === undefined ? headingOf(line) : undefined;
    if (heading !== undefined) out.push({ heading: heading.trim(), lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

// A bare `- [ ]` (the issue form's default) is an empty item, not a criterion called "[ ]".
const ITEM = /^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\](?:\s+|$))?(.*?)\s*$/;

function listItems(lines: readonly string[]): string[] {
  const items: string[] = [];
  let inFence = false;
  for (const line of lines) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const match = ITEM.exec(line);
    if (match?.[1] && !EMPTY_FORM_ANSWER.test(match[1])) items.push(match[1]);
  }
  return items;
}

function prose(lines: readonly string[]): string {
  return lines
    .join("\n")
    .trim()
    .split(/\n{2,}/)
    .filter((paragraph) => !EMPTY_FORM_ANSWER.test(paragraph.trim()))
    .join("\n\n")
    .trim();
}

export function parseRequest(title: string, body: string | null | undefined): ParsedRequest {
  const all = sections(body ?? "");
  const criteriaSection = all.find((s) => s.heading !== undefined && CRITERIA_HEADING.test(s.heading));
  const goalSection = all.find((s) => s.heading !== undefined && GOAL_HEADING.test(s.heading));
  const criteria = criteriaSection ? listItems(criteriaSection.lines) : [];
  const goal = prose((goalSection ?? all[0] ?? { lines: [] }).lines) || title.trim();

  const missing: string[] = [];
  if (!criteriaSection) {
    missing.push(
      "a **Success criteria** section: add a heading `### Success criteria` followed by a checklist (`- [ ] …`), one line per observable result",
    );
  } else if (criteria.length === 0) {
    missing.push(
      "at least one success criterion: the **Success criteria** section is empty; list each result as `- [ ] …`",
    );
  }
  return { goal, criteria, missing };
}

/**
 * `factory/12-add-dark-mode`: the branch for an issue, from its title in any script
 * (`factory/12-temnaya-tema`), or a short hash of it when nothing transliterates.
 */
export function branchName(prefix: string, issue: number, title: string): string {
  return `${prefix}${issue}-${slugOf(title)}`;
}
