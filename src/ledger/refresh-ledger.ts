import type { Logger } from "probot";
import { hasLabel } from "../line/labels.js";
import type { FactoryConfig } from "../config/schema.js";
import type { ListedIssue } from "../github/repo-port.js";
import type { GitHubStore } from "../github/repo-port.js";
import type { NextUp } from "./rows.js";
import { stripBlocks } from "../state/codec.js";
import { canonicalJson } from "../state/sign.js";
import { ledgerId, type RecordDataOf } from "../state/records.js";
import { ledgerEntry, paginateLedger, rowOf, type LedgerEntry, type LedgerRow } from "./rows.js";

/**
 * Whether an artifact holds one of `intake.autoPromote`'s places: everything the line
 * has taken in and not finished, blocked ones included (a place is freed by finishing
 * work, not by its getting stuck). Not a request that waits for its author's success
 * criteria: the line never took it in.
 */
export function inFlightStatus(status: string): boolean {
  return status !== "done" && status !== "stopped" && status !== "needs-criteria";
}

/** Every artifact in the repository, rebuilt from its records: one issue list, then each artifact's threads (the CLI's full read). */
export async function collectLedger(store: GitHubStore, config: FactoryConfig, now: number): Promise<LedgerRow[]> {
  const issues = await store.port.listIssuesWithLabel(config.labels.intake, "all");
  const rows: LedgerRow[] = [];
  for (const issue of issues) {
    if (issue.isPull) continue;
    const loaded = await store.load(issue.number);
    if (loaded.artifact.status === "new") continue;
    rows.push(rowOf(ledgerEntry(issue.number, issue.title, loaded.artifact, issue.updatedAt), now));
  }
  return rows.sort((a, b) => b.issue - a.issue);
}

/**
 * How long an issue labelled for intake, whose intake has not run, is taken to be on
 * its way (its event waiting in the inbox, or being tried again): well past the
 * inbox's retries. After that it holds no place and shows no row.
 */
const PENDING_INTAKE_MS = 60 * 60_000;

function pendingIntake(seen: string | undefined, now: number): boolean {
  return seen !== undefined && now - Date.parse(seen) < PENDING_INTAKE_MS;
}

const LEDGER_PAGE_MARKER = "<!-- software-factory:ledger-page -->";
const SINCE_OVERLAP_MS = 5_000;
const LIST_PAGE = 100;

export interface LedgerRefresh {
  /** Artifacts whose records changed since the last refresh (the handlers' marks): read again whatever else says. */
  changed: readonly number[];
  now?: number;
  /** Lets tests reach several pages without thousands of artifacts. */
  pageLimit?: number;
  /** The demand queue's top candidates, for the "Next up" section of page 1. */
  nextUp?: readonly NextUp[];
}

export interface LedgerOutcome {
  /** Artifacts read from their threads this time. */
  read: number;
  /** Ledger pages (the issue body, page comments) written. */
  written: number;
  /** Artifacts in flight (`inFlightStatus`, and those labelled and not yet through intake): what `intake.autoPromote` tops up to. */
  inFlight?: number;
}

interface Page {
  /** The issue body (page 1) or a page comment. */
  where: { issue: number } | { comment: number };
  body: string;
  data: RecordDataOf<"ledger.rows"> | undefined;
}

/**
 * Keeps the pinned ledger issue (Renovate's Dependency Dashboard is the model):
 * page 1 in its body, further pages in the app's own comments on it. It runs
 * holding the repository's ledger lock, so two processes never make two ledgers.
 *
 * It costs what changed: each page carries a signed record of its rows, so a
 * refresh reads the ledger (one or two requests), the issues updated since the
 * newest update it has seen (one page), and only the artifacts that changed (the
 * handlers' marks, and issues whose `updated_at` moved). A finished artifact is
 * read once and then kept from the record. With nothing new, nothing is written.
 */
export async function refreshLedger(store: GitHubStore, config: FactoryConfig, log: Logger, refresh: LedgerRefresh): Promise<LedgerOutcome> {
  if (!config.ledger.issue) return { read: 0, written: 0 };
  const { port } = store;
  const now = refresh.now ?? Date.now();
  const own = (i: ListedIssue) => !i.isPull && i.authorType === "Bot" && i.authorLogin === store.botLogin;
  const [ledger, ...extra] = (await port.listIssuesWithLabel(config.labels.ledger, "open")).filter(own).sort((a, b) => a.number - b.number);
  // Earlier versions could race to two ledgers: the oldest stays, the others are closed.
  for (const duplicate of extra) {
    await port.createComment(duplicate.number, `This is a second ledger issue, opened by a race; #${ledger?.number ?? "?"} is the ledger.`);
    await port.closeIssue(duplicate.number);
    log.warn({ repo: port.fullName, ledger: ledger?.number, duplicate: duplicate.number }, "closed a duplicate ledger issue");
  }

  const pages = ledger ? await readPages(store, ledger) : [];
  const cached = cachedEntries(pages);
  const entries = new Map<number, LedgerEntry>(cached?.entries.map((e) => [e.issue, e]) ?? []);
  let watermark = cached?.watermark;

  // What to read: the marked artifacts, and the factory's issues whose update time moved (all of them, the first time).
  const toRead = new Map<number, ListedIssue | undefined>(refresh.changed.map((n) => [n, undefined]));
  // A little before the watermark: GitHub's times are to the second and its index lags a moment; `seen` spares a second read.
  const since = watermark === undefined ? undefined : new Date(Date.parse(watermark) - SINCE_OVERLAP_MS).toISOString();
  const listed = cached && since !== undefined ? await port.listIssuesWithLabel(undefined, "all", since) : await port.listIssuesWithLabel(config.labels.intake, "all");
  for (const issue of listed) {
    // The ledger's own writes move its `updated_at`: counting them would make every refresh write again.
    if (issue.number === ledger?.number) continue;
    if (watermark === undefined || Date.parse(issue.updatedAt) > Date.parse(watermark)) watermark = issue.updatedAt;
    if (issue.isPull) continue;
    if (!hasLabel(issue.labels, config.labels.intake)) {
      // The intake label was taken off: the issue has left the factory.
      entries.delete(issue.number);
      toRead.delete(issue.number);
      continue;
    }
    if (entries.get(issue.number)?.seen !== issue.updatedAt || toRead.has(issue.number)) toRead.set(issue.number, issue);
  }
  for (const [number, issue] of toRead) {
    const loaded = await store.load(number);
    // An open issue with the intake label whose intake has not run yet (a promotion waiting in the inbox) keeps a row,
    // "waiting for the request", until its intake's mark has it read again: it is in flight already, on every refresh.
    // Not one whose intake the line gave up on.
    const seen = issue?.updatedAt ?? entries.get(number)?.seen;
    const waiting =
      loaded.artifact.status === "new" &&
      !loaded.records.some((r) => r.kind === "event.failed") &&
      (issue ? issue.state === "open" && hasLabel(issue.labels, config.labels.intake) : entries.has(number));
    if (loaded.artifact.status === "new" && !waiting) entries.delete(number);
    else entries.set(number, ledgerEntry(number, issue?.title ?? entries.get(number)?.title ?? "", loaded.artifact, seen));
  }
  // Nor one labelled long ago (before the app was installed), or waiting past the hour: nothing is coming for those.
  for (const [number, entry] of entries) if (entry.status === "new" && !pendingIntake(entry.seen, now)) entries.delete(number);

  const wanted = layout(store, [...entries.values()], cached?.entries ?? [], watermark, now, refresh.pageLimit, refresh.nextUp ?? []);
  // A watermark alone is no reason to write, unless keeping the old one costs more than a page of reading next time.
  const written = await writePages(store, config, log, ledger, pages, wanted, listed.length > LIST_PAGE);
  const inFlight = [...entries.values()].filter((e) => inFlightStatus(e.status)).length;
  return { read: toRead.size, written, inFlight };
}

/** The ledger's pages as they are: the issue body, then the app's page comments (listed only when the body says there are more). */
async function readPages(store: GitHubStore, ledger: ListedIssue): Promise<Page[]> {
  const id = ledgerId(store.port.ref);
  const dataOf = (body: string, where: string, author: { login: string | undefined; type: string | undefined }) => {
    const record = store.read([{ where, order: 0, authorLogin: author.login, authorType: author.type, body }], id).find((r) => r.kind === "ledger.rows");
    return record?.kind === "ledger.rows" ? record.data : undefined;
  };
  const first: Page = { where: { issue: ledger.number }, body: ledger.body, data: dataOf(ledger.body, `ledger #${ledger.number}`, { login: ledger.authorLogin, type: ledger.authorType }) };
  if (first.data?.pages === 1) return [first];
  const comments = (await store.port.listIssueComments(ledger.number)).filter((c) => store.isOwnComment(c) && c.body.includes(LEDGER_PAGE_MARKER));
  return [first, ...comments.map((c) => ({ where: { comment: c.id }, body: c.body, data: dataOf(c.body, `ledger #${ledger.number} comment ${c.id}`, { login: c.authorLogin, type: c.authorType }) }))];
}

/** The rows the pages remember, when every page says so consistently; otherwise the ledger is rebuilt from the threads. */
function cachedEntries(pages: readonly Page[]): { entries: LedgerEntry[]; watermark: string | undefined } | undefined {
  const count = pages[0]?.data?.pages;
  if (count === undefined || pages.length < count) return undefined;
  const entries: LedgerEntry[] = [];
  for (const [index, page] of pages.slice(0, count).entries()) {
    if (page.data?.page !== index + 1 || page.data.pages !== count) return undefined;
    entries.push(...page.data.entries.map((e) => ({ owner: undefined, branch: undefined, pr: undefined, createdAt: undefined, seen: undefined, ...e })));
  }
  return { entries, watermark: pages[0]?.data?.watermark };
}

/**
 * The pages: on one page, every artifact newest first. When they need more, the
 * artifacts in flight come first, newest first, and finished ones follow on pages of
 * their own in the order they finished, so a change to one artifact in flight
 * rewrites its page only, and a finished one is appended to the last page.
 */
function layout(store: GitHubStore, entries: readonly LedgerEntry[], before: readonly LedgerEntry[], watermark: string | undefined, now: number, pageLimit: number | undefined, nextUp: readonly NextUp[]): Wanted[] {
  const newest = [...entries].sort((a, b) => b.issue - a.issue);
  const single = render(store, newest, watermark, now, pageLimit, undefined, nextUp);
  if (single.length <= 1) return single;
  const position = new Map(before.map((e, i) => [e.issue, i]));
  const active = newest.filter((e) => e.status !== "done");
  const done = entries
    .filter((e) => e.status === "done")
    .sort((a, b) => (position.get(a.issue) ?? Infinity) - (position.get(b.issue) ?? Infinity) || a.issue - b.issue);
  return render(store, [...active, ...done], watermark, now, pageLimit, active.length > 0 && done.length > 0 ? active.length : undefined, nextUp);
}

interface Wanted {
  body: string;
  data: RecordDataOf<"ledger.rows">;
}

/** The pages as they should be, each with its signed record. */
function render(store: GitHubStore, entries: readonly LedgerEntry[], watermark: string | undefined, now: number, pageLimit: number | undefined, breakBefore?: number, nextUp: readonly NextUp[] = []): Wanted[] {
  const updatedAt = new Date(now).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const recordOf = (entry: LedgerEntry) => JSON.stringify(entry).length + 20;
  const paged = paginateLedger(entries.map((e) => rowOf(e, now)), updatedAt, pageLimit, (i) => recordOf(entries[i] as LedgerEntry), breakBefore, nextUp);
  return paged.map((page, index) => {
    const data: RecordDataOf<"ledger.rows"> = {
      page: index + 1,
      pages: paged.length,
      // Only page 1's watermark is read: on other pages it would rewrite them for nothing.
      ...(watermark !== undefined && index === 0 ? { watermark } : {}),
      entries: page.rows.map((i) => compact(entries[i] as LedgerEntry)),
    };
    // Ledger records are not an artifact's: seq and key only name the page.
    const record = store.sign(ledgerId(store.port.ref), "ledger.rows", data, { key: `ledger-page-${index + 1}`, seq: index + 1, at: new Date(0) });
    return { body: `${page.text}\n\n${store.block(record)}${index > 0 ? `\n${LEDGER_PAGE_MARKER}` : ""}`, data };
  });
}

/**
 * What a page says, for deciding whether to write it: its visible text without the
 * "Updated" stamp, and its rows without the bookkeeping (when each issue was seen,
 * the watermark), which alone is no reason to write.
 */
function content(body: string, data: RecordDataOf<"ledger.rows"> | undefined): string {
  const rows = data?.entries.map(({ seen: _seen, ...rest }) => rest);
  return `${stripBlocks(body).replace(/Updated [^.]*\./, "")}\n${canonicalJson({ page: data?.page, pages: data?.pages, rows })}`;
}

function compact(entry: LedgerEntry): RecordDataOf<"ledger.rows">["entries"][number] {
  const { owner, branch, pr, createdAt, seen, ...rest } = entry;
  return { ...rest, ...(owner ? { owner } : {}), ...(branch ? { branch } : {}), ...(pr !== undefined ? { pr } : {}), ...(createdAt ? { createdAt } : {}), ...(seen ? { seen } : {}) };
}

/** Writes the pages whose content differs: the body, then comments, creating the ledger if there is none. */
async function writePages(store: GitHubStore, config: FactoryConfig, log: Logger, ledger: ListedIssue | undefined, pages: readonly Page[], wanted: readonly Wanted[], moveWatermark: boolean): Promise<number> {
  const { port } = store;
  const [first, ...rest] = wanted;
  if (!first) return 0;
  let written = 0;
  let number: number;
  if (!ledger) {
    await port.ensureLabel(config.labels.ledger, "5319e7", "Factory: the ledger of every artifact");
    const created = await port.createIssue({ title: config.ledger.title, body: first.body, labels: [config.labels.ledger] });
    number = created.number;
    written += 1;
    try {
      await port.pinIssue(created.nodeId);
    } catch (error) {
      log.warn({ err: error, issue: created.number }, "could not pin the ledger issue (three issues may already be pinned); it is kept up to date anyway");
    }
  } else {
    number = ledger.number;
    const watermarkMoved = moveWatermark && pages[0]?.data?.watermark !== first.data.watermark;
    if (watermarkMoved || content(ledger.body, pages[0]?.data) !== content(first.body, first.data)) {
      await port.updateIssueBody(number, first.body);
      written += 1;
    }
  }
  // Page comments as they are; when the body said there were none, they were not listed.
  const comments = ledger && pages.length <= 1 && rest.length > 0 ? await readPages(store, ledger).then((p) => p.slice(1)) : pages.slice(1);
  for (const [index, page] of rest.entries()) {
    const current = comments[index];
    if (!current) await port.createComment(number, page.body);
    else if (content(current.body, current.data) !== content(page.body, page.data)) await port.updateComment((current.where as { comment: number }).comment, page.body);
    else continue;
    written += 1;
  }
  for (const stale of comments.slice(rest.length)) {
    await port.deleteComment((stale.where as { comment: number }).comment);
    written += 1;
  }
  return written;
}

