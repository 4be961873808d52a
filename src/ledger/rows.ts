import type { Artifact } from "../state/fold.js";
import { render } from "../views/render.js";

/** What the ledger keeps of an artifact in its own record: a row, without what depends on the time it is shown. */
export interface LedgerEntry {
  issue: number;
  title: string;
  stage: string;
  status: string;
  owner: string | undefined;
  branch: string | undefined;
  pr: number | undefined;
  verification: string;
  nextHandoff: string;
  createdAt: string | undefined;
  /** The issue's `updated_at` when it was last read: a listing that shows the same time needs no read. */
  seen: string | undefined;
}

export function ledgerEntry(issue: number, title: string, artifact: Artifact, seen: string | undefined): LedgerEntry {
  return {
    issue,
    title: (artifact.title || title).slice(0, 300),
    stage: artifact.stage,
    status: artifact.status,
    owner: artifact.owner,
    branch: artifact.branch?.slice(0, 200),
    pr: artifact.pr,
    verification: artifact.verification,
    nextHandoff: artifact.nextHandoff.slice(0, 300),
    createdAt: artifact.createdAt,
    seen,
  };
}

/** A row as a table shows it. */
export function rowOf(entry: LedgerEntry, now: number): LedgerRow {
  return {
    issue: entry.issue,
    title: entry.title,
    stage: entry.stage,
    status: entry.status,
    owner: entry.owner ? `@${entry.owner}` : "—",
    branch: entry.branch ?? "—",
    pr: entry.pr !== undefined ? `#${entry.pr}` : "—",
    verification: entry.verification,
    nextHandoff: entry.nextHandoff,
    age: age(entry.createdAt, now),
    opened: entry.createdAt?.slice(0, 10) ?? "—",
  };
}

/** A candidate of the demand queue as the ledger shows it. */
export interface NextUp {
  number: number;
  title: string;
  score: number;
  why: readonly string[];
}

export interface LedgerRow {
  issue: number;
  title: string;
  stage: string;
  status: string;
  owner: string;
  branch: string;
  pr: string;
  verification: string;
  nextHandoff: string;
  age: string;
  /** The day it was opened: the ledger issue shows this rather than the age, so a page's text changes only when its artifacts do. */
  opened: string;
}

export function age(from: string | undefined, now: number): string {
  if (!from) return "—";
  const minutes = Math.max(0, Math.floor((now - Date.parse(from)) / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

export function ledgerRow(issue: number, title: string, artifact: Artifact, now: number): LedgerRow {
  return rowOf(ledgerEntry(issue, title, artifact, undefined), now);
}

/**
 * Markdown table cells: one line, no pipes. Backslashes are escaped first, or a
 * title's own `\|` would end the cell; a lone `\r` is a line break to GitHub too.
 */
function cell(text: string, max = 120): string {
  const flat = text.replace(/\r\n?|\n/g, " ").replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The ledger as pages that each fit in one GitHub body: page 1 is the ledger
 * issue's body, the rest are its comments. `extra(i)` is what row `i` adds to its
 * page besides its line in the table (its share of the page's hidden record).
 */
export function paginateLedger(
  rows: readonly LedgerRow[],
  updatedAt: string,
  limit = 60_000,
  extra: (index: number) => number = () => 0,
  /** A row that starts a new page whatever room the page before has left. */
  breakBefore?: number,
  /** The demand queue's top candidates: page 1's "Next up". */
  nextUp: readonly NextUp[] = [],
): Array<{ text: string; rows: number[] }> {
  const safe = rows.map((r) => ({ ...r, title: cell(r.title), nextHandoff: cell(r.nextHandoff), branch: cell(r.branch, 80) }));
  const queue = nextUp.slice(0, 5).map((n, i) => ({ rank: i + 1, number: n.number, title: cell(n.title), score: n.score, why: cell(n.why.join("; ") || "no demand signals yet", 400) }));
  const pages: number[][] = [[]];
  // Page 1 carries the queue: room is kept for it on every page, which costs little (five lines).
  const base = render("ledger.md", { rows: [], updatedAt, pages: { page: 99, pageCount: 99 }, nextUp: queue }).length;
  const empty = render("ledger.md", { rows: [], updatedAt }).length;
  let size = base;
  for (const [index, row] of safe.entries()) {
    const rowSize = render("ledger.md", { rows: [row], updatedAt }).length - empty + 100 + extra(index);
    const current = pages[pages.length - 1] ?? [];
    if (current.length > 0 && (size + rowSize > limit || index === breakBefore)) {
      pages.push([index]);
      size = base + rowSize;
    } else {
      current.push(index);
      size += rowSize;
    }
  }
  return pages.map((page, index) => ({
    rows: page,
    text: render("ledger.md", { rows: page.map((i) => safe[i]), updatedAt, pages: pages.length > 1 ? { page: index + 1, pageCount: pages.length } : false, nextUp: index === 0 ? queue : [] }),
  }));
}

export function ledgerPages(rows: readonly LedgerRow[], updatedAt: string, limit = 60_000): string[] {
  return paginateLedger(rows, updatedAt, limit).map((page) => page.text);
}

/** The CLI's plain-text table. */
export function ledgerTable(rows: readonly LedgerRow[]): string {
  const header = ["ISSUE", "STAGE", "STATUS", "OWNER", "BRANCH", "PR", "VERIFY", "NEXT", "AGE"];
  const lines = rows.map((r) => [`#${r.issue}`, r.stage, r.status, r.owner, r.branch, r.pr, r.verification, cell(r.nextHandoff, 60), r.age]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [format(header), ...lines.map(format)].join("\n");
}
