import type { Artifact } from "../state/fold.js";
import { render } from "../views/render.js";

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
  return {
    issue,
    title: artifact.title || title,
    stage: artifact.stage,
    status: artifact.status,
    owner: artifact.owner ? `@${artifact.owner}` : "—",
    branch: artifact.branch ?? "—",
    pr: artifact.pr !== undefined ? `#${artifact.pr}` : "—",
    verification: artifact.verification,
    nextHandoff: artifact.nextHandoff,
    age: age(artifact.createdAt, now),
  };
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
 * issue's body, the rest are its comments.
 */
export function ledgerPages(rows: readonly LedgerRow[], updatedAt: string, limit = 60_000): string[] {
  const safe = rows.map((r) => ({ ...r, title: cell(r.title), nextHandoff: cell(r.nextHandoff), branch: cell(r.branch, 80) }));
  const pages: LedgerRow[][] = [[]];
  const base = render("ledger.md", { rows: [], updatedAt, pages: { page: 99, pageCount: 99 } }).length;
  const empty = render("ledger.md", { rows: [], updatedAt }).length;
  let size = base;
  for (const row of safe) {
    const rowSize = render("ledger.md", { rows: [row], updatedAt }).length - empty + 100;
    const current = pages[pages.length - 1] ?? [];
    if (current.length > 0 && size + rowSize > limit) {
      pages.push([row]);
      size = base + rowSize;
    } else {
      current.push(row);
      size += rowSize;
    }
  }
  return pages.map((page, index) =>
    render("ledger.md", { rows: page, updatedAt, pages: pages.length > 1 ? { page: index + 1, pageCount: pages.length } : false }),
  );
}

/** The CLI's plain-text table. */
export function ledgerTable(rows: readonly LedgerRow[]): string {
  const header = ["ISSUE", "STAGE", "STATUS", "OWNER", "BRANCH", "PR", "VERIFY", "NEXT", "AGE"];
  const lines = rows.map((r) => [`#${r.issue}`, r.stage, r.status, r.owner, r.branch, r.pr, r.verification, cell(r.nextHandoff, 60), r.age]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [format(header), ...lines.map(format)].join("\n");
}
