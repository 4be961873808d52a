import type { FactoryConfig } from "../../config/schema.js";
import type { RepoPort } from "../../github/repo-port.js";
import { RUN_NOTES_DIR } from "../scout/run-notes.js";
import { parseScoutFile, SCOUT_FILE } from "../scout/scout-file.js";

/** The most post-run notes one check reads: past this, the count says "at least". */
const MAX_NOTES_READ = 200;

export interface RefitCount {
  /** Artifacts merged since the weights were fitted (or since the first note, when they never were). */
  merged: number;
  /** The day the weights in use were fitted, when they were. */
  fittedOn?: string;
  /** More notes than one check reads: `merged` is a lower bound. */
  atLeast: boolean;
}

/**
 * How many artifacts were merged since the scout's weights were last fitted, from the
 * post-run notes on the default branch (`.factory/runs/<date>-….json`, each with its
 * outcome) dated on or after the fit. A note that does not parse is not counted.
 */
export async function mergedSinceFit(port: Pick<RepoPort, "branchHead" | "tree" | "readFile">, defaultBranch: string): Promise<RefitCount> {
  const head = await port.branchHead(defaultBranch);
  const scout = await port.readFile(SCOUT_FILE, head.sha);
  const parsed = scout === undefined ? undefined : parseScoutFile(scout);
  const fittedOn = parsed?.ok ? parsed.file.fitted?.at.slice(0, 10) : undefined;
  const { files } = await port.tree(head.sha);
  const notes = files
    .map((f) => f.path)
    .filter((p) => p.startsWith(RUN_NOTES_DIR) && p.endsWith(".json") && (fittedOn === undefined || p.slice(RUN_NOTES_DIR.length, RUN_NOTES_DIR.length + 10) >= fittedOn))
    .sort()
    .reverse();
  let merged = 0;
  for (const path of notes.slice(0, MAX_NOTES_READ)) {
    const text = await port.readFile(path, head.sha);
    try {
      if ((JSON.parse(text ?? "") as { metrics?: { outcome?: unknown } }).metrics?.outcome === "merged") merged++;
    } catch {
      // Not a note the analyst wrote: not counted.
    }
  }
  return { merged, ...(fittedOn ? { fittedOn } : {}), atLeast: notes.length > MAX_NOTES_READ };
}

/** The proposal's title: one per N merged artifacts since a fit, so each is proposed once. */
export function refitTitle(count: RefitCount, every: number): string {
  const reached = Math.floor(count.merged / every) * every;
  return `Refit the scout: ${reached} artifacts merged since ${count.fittedOn ? `its weights were fitted (${count.fittedOn})` : "it started, on default weights"}`;
}

/** The proposal: why now, what a refit does and keeps, and the command that runs it. */
export function refitBody(count: RefitCount, every: number, repo: string): string {
  return [
    `${count.atLeast ? "At least " : ""}${count.merged} artifacts were merged since ${count.fittedOn ? `the scout's weights were fitted on ${count.fittedOn}` : "the factory started on this repository, and the scout still ranks with its default weights"} (\`learn.refitAfter: ${every}\`). Their changes are new history to fit on.`,
    "",
    "A refit ranks up to 120 past changes of this repository, each at its parent, with the files it really modified as the answer; it fits on the older two thirds and keeps the new weights only if recall@10 on the newer third rises by the margin. When it does, it opens a pull request to `.factory/scout.json` with the figures before and after.",
    "",
    "```sh",
    `git clone https://github.com/${repo}.git && cd ${repo.split("/")[1] ?? "repo"}`,
    `GITHUB_TOKEN=… npx factory learn scout --dir . --repo ${repo} --pr`,
    "```",
    "",
    "Close this issue to skip this refit; the next proposal comes after the next " + `${every} merged artifacts.`,
  ].join("\n");
}

/** What the refit proposal needs of GitHub. */
export type RefitPort = Pick<RepoPort, "branchHead" | "tree" | "readFile" | "listIssuesWithLabel" | "ensureLabel" | "createIssue" | "fullName">;

/**
 * After a merge: when the artifacts merged since the last fit reach a multiple of
 * `learn.refitAfter`, an issue proposes a refit, once per multiple (an issue with the
 * same title, open or closed, opened by the app, is that proposal). Returns the count,
 * and the proposal when there is one: its number and whether it is new.
 */
export async function proposeRefitWhenDue(
  port: RefitPort,
  config: Pick<FactoryConfig, "learn" | "labels">,
  defaultBranch: string,
  /** Before the proposal is made: the caller's lock is still held. */
  beforeWrite: () => Promise<void> = async () => {},
): Promise<{ count: RefitCount; proposal?: { issue: number; created: boolean } } | undefined> {
  const every = config.learn.refitAfter;
  if (every === 0) return undefined;
  const count = await mergedSinceFit(port, defaultBranch);
  if (count.merged < every) return { count };
  const title = refitTitle(count, every);
  const existing = (await port.listIssuesWithLabel(config.labels.learn, "all")).find((i) => i.title === title && i.authorType === "Bot");
  if (existing) return { count, proposal: { issue: existing.number, created: false } };
  await beforeWrite();
  await port.ensureLabel(config.labels.learn, "5319e7", "The factory proposes to learn from this repository's history");
  const made = await port.createIssue({ title, body: refitBody(count, every, port.fullName), labels: [config.labels.learn] });
  return { count, proposal: { issue: made.number, created: true } };
}
