import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { RepoPort } from "../../src/github/repo-port.js";
import { refreshLedger, type LedgerOutcome } from "../../src/ledger/refresh-ledger.js";
import { ArtifactStore } from "../../src/state/artifact-store.js";
import { stateKey } from "../../src/state/sign.js";
import { makeRecord, recordBlock } from "../../src/state/carriers.js";
import { artifactId } from "../../src/state/records.js";
import type { DoubleIssue } from "@software-factory/github-double";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";
import { silentLogger } from "../support/test-app.js";

let s: Scenario;

useScenario((next) => {
  s = next;
});

const PAGE_MARKER = "<!-- software-factory:ledger-page -->";

/** Issues that look like the ledger to a person: labelled `factory:ledger`, whoever wrote them. */
function labelledLedger(): DoubleIssue[] {
  return [...s.double.issues.values()].filter((i) => i.labels.includes("factory:ledger"));
}

function theLedger(): DoubleIssue {
  const own = labelledLedger().filter((i) => i.user.login === s.double.bot.login);
  expect(own).toHaveLength(1);
  return own[0] as DoubleIssue;
}

/** Requests that change something on GitHub (REST writes and GraphQL mutations alike). */
function writes(): string[] {
  return s.app.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.url ?? r.route}`);
}

function pullFor(issue: number): number {
  const pull = s.double.pulls().find((p) => p.pull?.head.startsWith(`factory/${issue}-`));
  if (!pull) throw new Error(`no PR for #${issue}`);
  return pull.number;
}

async function startArtifacts(...titles: string[]): Promise<number[]> {
  const numbers = titles.map((title) => s.double.openIssue("alice", title, VALID_BODY).number);
  for (const n of numbers) await s.deliver(s.label(n));
  await s.idle();
  return numbers;
}

/** The refresh the app schedules, called directly with the app's own installation Octokit. */
async function refresh(pageLimit?: number, changed: number[] = [], now?: number): Promise<LedgerOutcome> {
  const octokit = await s.app.probot.auth(1);
  const port = new RepoPort(octokit, { owner: s.double.owner, repo: s.double.repo });
  const store = new ArtifactStore(port, { botLogin: s.double.bot.login, key: stateKey(), log: silentLogger() });
  return refreshLedger(store, DEFAULT_CONFIG, silentLogger(), { changed, ...(pageLimit !== undefined ? { pageLimit } : {}), ...(now !== undefined ? { now } : {}) });
}

/** Issue numbers of the ledger rows in a body, in order. */
function rowsIn(body: string | null | undefined): number[] {
  return [...(body ?? "").matchAll(/^\| #(\d+) /gm)].map((m) => Number(m[1]));
}

function pageComments(issue: number) {
  return s.double.commentsOn(issue).filter((c) => c.body.includes(PAGE_MARKER));
}

describe("refreshLedger", () => {
  it("keeps one pinned ledger issue, by the app, listing every artifact with its stage and PR", async () => {
    const [dark, export_] = await startArtifacts("Add dark mode", "Export to CSV");

    const ledger = theLedger();
    expect(labelledLedger()).toHaveLength(1);
    expect(ledger).toMatchObject({ title: "Factory ledger", state: "open", pinned: true, labels: ["factory:ledger"] });
    expect(ledger.user).toEqual(s.double.bot);
    expect(s.double.labels.get("factory:ledger")).toMatchObject({ color: "5319e7" });

    const body = ledger.body ?? "";
    expect(body).toContain("# Factory ledger");
    expect(body).not.toMatch(/Page \d/);
    expect(rowsIn(body)).toEqual([export_, dark]);
    expect(body).toContain(`| #${dark} Add dark mode | build | active | @alice | \`factory/${dark}-add-dark-mode\` | #${pullFor(dark ?? 0)} | none |`);
    expect(body).toContain(`| #${export_} Export to CSV | build | active | @alice | \`factory/${export_}-export-to-csv\` | #${pullFor(export_ ?? 0)} | none |`);
    // Neither the PRs nor the ledger itself are artifacts.
    expect(rowsIn(body)).not.toContain(ledger.number);
    expect(pageComments(ledger.number)).toEqual([]);
  });

  it("writes nothing when a refresh finds nothing changed, and edits the one issue when something did", async () => {
    const [dark = 0, csv = 0] = await startArtifacts("Add dark mode", "Export to CSV");
    const ledger = theLedger();
    const before = writes();

    // A redelivered label event: intake has nothing to do, and the ledger it schedules has nothing to write.
    await s.deliver(s.label(dark));
    await s.idle();
    await refresh();
    expect(writes()).toEqual(before);

    const [third = 0] = await startArtifacts("Add search");
    expect(theLedger().number).toBe(ledger.number);
    expect(rowsIn(theLedger().body)).toEqual([third, csv, dark]);
    const ledgerWrites = writes()
      .slice(before.length)
      .filter((w) => w.includes(`/issues/${ledger.number}`) || w.includes("/graphql"));
    expect(ledgerWrites).toEqual([`PATCH https://api.github.com/repos/octo-org/widgets/issues/${ledger.number}`]);
  });

  it("counts in flight what intake.autoPromote tops up: a labelled issue whose intake has not run, on every refresh until it runs; not a request waiting for its criteria", async () => {
    const [running = 0] = await startArtifacts("Add dark mode");
    // Labelled without criteria: intake waits for its author.
    const vague = s.double.openIssue("alice", "Make it better", "Please.").number;
    await s.deliver(s.label(vague));
    await s.idle();
    // Promoted: the label is on, and the intake event has not been handled yet (the app has not heard of it).
    const promoted = s.double.openIssue("alice", "Export to CSV", VALID_BODY, ["factory:intake"]).number;
    expect((await refresh()).inFlight).toBe(2);
    expect(theLedger().body).toContain(`| #${promoted} Export to CSV | intake | new |`);
    // Later refreshes, past the watermark and with nothing new to read: still two (the row is kept, and counted).
    s.double.tick(60_000);
    const later = await refresh();
    expect(later).toMatchObject({ read: 0, inFlight: 2 });
    s.double.tick(60_000);
    expect((await refresh()).inFlight).toBe(2);
    expect(rowsIn(theLedger().body)).toEqual([promoted, vague, running]);

    // Its intake runs (and marks it): the row is the artifact's, and it is still one of the two.
    await s.deliver(s.label(promoted));
    await s.idle();
    expect((await refresh(undefined, [promoted])).inFlight).toBe(2);
    expect(theLedger().body).toContain(`| #${promoted} Export to CSV | build | active |`);
    // The label taken off before any intake: the row goes, and the place is free.
    const dropped = s.double.openIssue("alice", "Dropped", VALID_BODY, ["factory:intake"]).number;
    expect((await refresh()).inFlight).toBe(3);
    s.double.tick(60_000);
    const issue = s.double.issues.get(dropped) as DoubleIssue;
    // As GitHub does for a person's unlabel: the label goes and the issue's updated_at moves.
    issue.labels = [];
    issue.updated_at = s.double.now();
    expect((await refresh()).inFlight).toBe(2);
    expect(rowsIn(theLedger().body)).not.toContain(dropped);
  });

  it("a labelled issue whose intake is not coming (the line gave up on it, it was labelled long before, or it waited an hour): no row and no place", async () => {
    const hour = 60 * 60_000;
    const old = s.double.openIssue("alice", "Labelled long ago", VALID_BODY, ["factory:intake"]);
    old.updated_at = new Date(Date.now() - 2 * hour).toISOString();
    const failed = s.double.openIssue("alice", "Intake given up", VALID_BODY, ["factory:intake"]).number;
    const gaveUp = makeRecord("event.failed", { what: "the intake label", reason: "GitHub answered 502", transient: true, attempts: 6 }, { artifact: artifactId(s.double, failed), key: "delivery-1:failed", seq: 1 }, stateKey());
    s.double.postComment(failed, s.double.bot, `### Waiting on GitHub\n\n${recordBlock(gaveUp)}`);
    const waiting = s.double.openIssue("alice", "Promoted", VALID_BODY, ["factory:intake"]).number;
    expect(await refresh()).toMatchObject({ inFlight: 1 });
    expect(rowsIn(theLedger().body)).toEqual([waiting]);
    // An hour on, its intake has still not run: the row goes, and the place is free.
    expect(await refresh(undefined, [], Date.parse(s.double.now()) + 2 * hour)).toMatchObject({ inFlight: 0 });
    expect(rowsIn(theLedger().body)).toEqual([]);
  });

  it("does not take a person's issue labelled factory:ledger for the ledger", async () => {
    const impostor = s.double.openIssue("mallory", "Factory ledger", "my own notes", ["factory:ledger"]);
    const [dark] = await startArtifacts("Add dark mode");

    expect(labelledLedger()).toHaveLength(2);
    const ledger = theLedger();
    expect(ledger.number).not.toBe(impostor.number);
    expect(rowsIn(ledger.body)).toEqual([dark]);
    expect(ledger.pinned).toBe(true);
    expect(s.double.issues.get(impostor.number)).toMatchObject({ body: "my own notes", pinned: false });
    expect(s.double.commentsOn(impostor.number)).toEqual([]);
  });

  it("puts further pages in the app's own comments, and deletes the pages it no longer needs", async () => {
    const [a = 0, b = 0, c = 0] = await startArtifacts("Add dark mode", "Export to CSV", "Add search");
    const ledger = theLedger().number;
    // A person's comment that quotes the marker is not a page: never edited, never deleted.
    const quoted = s.double.postComment(ledger, s.double.user("mallory"), `fake page\n\n${PAGE_MARKER}`);

    // A limit of one character: one row per page.
    await refresh(1);
    expect(rowsIn(theLedger().body)).toEqual([c]);
    expect(theLedger().body).toContain("Page 1 of 3.");
    const pages = pageComments(ledger).filter((p) => p.id !== quoted.id);
    expect(pages.map((p) => p.user.login)).toEqual([s.double.bot.login, s.double.bot.login]);
    expect(pages.map((p) => rowsIn(p.body))).toEqual([[b], [a]]);
    expect(pages[0]?.body).toContain("Page 2 of 3.");
    expect(pages[1]?.body).toContain("Page 3 of 3.");

    const before = writes();
    await refresh(1);
    expect(writes()).toEqual(before);

    // Issue b leaves the factory: two pages now, the first page comment edited in place, the second deleted.
    const issueB = s.double.issues.get(b);
    if (issueB) {
      // As on GitHub, taking a label off moves the issue's updated_at.
      issueB.labels = issueB.labels.filter((l) => l !== "factory:intake");
      issueB.updated_at = s.double.now();
    }
    await refresh(1);
    expect(rowsIn(theLedger().body)).toEqual([c]);
    expect(theLedger().body).toContain("Page 1 of 2.");
    const shrunk = pageComments(ledger).filter((p) => p.id !== quoted.id);
    expect(shrunk.map((p) => p.id)).toEqual([pages[0]?.id]);
    expect(rowsIn(shrunk[0]?.body)).toEqual([a]);
    expect(shrunk[0]?.body).toContain("Page 2 of 2.");

    // Everything fits on one page again: no page comments, no page numbers.
    await refresh();
    expect(rowsIn(theLedger().body)).toEqual([c, a]);
    expect(theLedger().body).not.toMatch(/Page \d/);
    expect(pageComments(ledger).map((p) => p.id)).toEqual([quoted.id]);
    expect(s.double.comments.get(quoted.id)?.body).toBe(`fake page\n\n${PAGE_MARKER}`);
    expect(labelledLedger()).toHaveLength(1);
  });
});
