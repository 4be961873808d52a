import type { Logger } from "probot";
import type { FactoryConfig } from "../config/schema.js";
import type { ArtifactStore } from "../state/artifact-store.js";
import { ledgerPages, ledgerRow, type LedgerRow } from "./rows.js";

/** Every artifact in the repository, rebuilt from its records: one issue list, then each artifact's threads. */
export async function collectLedger(store: ArtifactStore, config: FactoryConfig, now: number): Promise<LedgerRow[]> {
  const issues = await store.port.listIssuesWithLabel(config.labels.intake, "all");
  const rows: LedgerRow[] = [];
  for (const issue of issues) {
    if (issue.isPull) continue;
    const loaded = await store.load(issue.number);
    if (loaded.artifact.status === "new") continue;
    rows.push(ledgerRow(issue.number, issue.title, loaded.artifact, now));
  }
  return rows.sort((a, b) => b.issue - a.issue);
}

const LEDGER_PAGE_MARKER = "<!-- software-factory:ledger-page -->";

/**
 * Keeps the pinned ledger issue (Renovate's Dependency Dashboard is the model):
 * page 1 in its body, further pages in the app's own comments on it, each written
 * only when its text changed.
 */
export async function refreshLedger(store: ArtifactStore, config: FactoryConfig, log: Logger, now = Date.now(), pageLimit?: number): Promise<void> {
  if (!config.ledger.issue) return;
  const { port } = store;
  const rows = await collectLedger(store, config, now);
  // `pageLimit` lets tests reach several pages without thousands of artifacts.
  const pages = ledgerPages(rows, new Date(now).toISOString().slice(0, 16).replace("T", " ") + " UTC", pageLimit);
  const [first = "", ...rest] = pages;

  const candidates = await port.listIssuesWithLabel(config.labels.ledger, "open");
  const existing = candidates.find((i) => !i.isPull && i.authorType === "Bot" && i.authorLogin === store.botLogin);
  let ledgerIssue: number;
  if (!existing) {
    await port.ensureLabel(config.labels.ledger, "5319e7", "Factory: the ledger of every artifact");
    const created = await port.createIssue({ title: config.ledger.title, body: first, labels: [config.labels.ledger] });
    ledgerIssue = created.number;
    try {
      await port.pinIssue(created.nodeId);
    } catch (error) {
      log.warn({ err: error, issue: created.number }, "could not pin the ledger issue (three issues may already be pinned); it is kept up to date anyway");
    }
  } else {
    ledgerIssue = existing.number;
    if (stripDate(existing.body) !== stripDate(first)) await port.updateIssueBody(ledgerIssue, first);
  }

  if (rest.length === 0 && !existing) return;
  const comments = (await port.listIssueComments(ledgerIssue)).filter((c) => store.isOwnComment(c) && c.body.includes(LEDGER_PAGE_MARKER));
  for (const [index, page] of rest.entries()) {
    const body = `${page}\n\n${LEDGER_PAGE_MARKER}`;
    const comment = comments[index];
    if (!comment) await port.createComment(ledgerIssue, body);
    else if (stripDate(comment.body) !== stripDate(body)) await port.updateComment(comment.id, body);
  }
  for (const stale of comments.slice(rest.length)) await port.deleteComment(stale.id);
}

/** The "Updated …" stamp alone is no reason to write. */
function stripDate(body: string): string {
  return body.replace(/Updated [^.]*\./, "");
}
