import type { Logger } from "probot";
import { checkOutput, type CellContract } from "../../cells/contracts.js";
import { isTransient } from "../../github/errors.js";
import { GitHubReader } from "../../github/repo-reader.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { SignedRecord } from "../../state/records.js";
import { scoutMemoView, stageFailedView } from "../../views/comments.js";
import { fitBody } from "../../views/render.js";
import { scout } from "./scout.js";

/**
 * Runs the scout for an artifact at its PR head and posts the memo on the PR with
 * a `stage.completed` record carrying the memo. Output that breaks the cell's
 * contract is a failed stage with the problems shown, never passed on.
 */
export async function runScout(
  store: GitHubStore,
  contract: CellContract,
  loaded: LoadedArtifact,
  key: string,
  log: Logger,
): Promise<SignedRecord> {
  const { port } = store;
  const { artifact } = loaded;
  const pr = artifact.pr as number;
  const budget = contract.spec.budget;
  const fail = async (reason: string, problems: string[]) => {
    const record = store.record(loaded, "stage.failed", { stage: "scout", reason }, key);
    await port.createComment(pr, fitBody(stageFailedView("scout", reason, problems), [store.block(record)]));
    log.warn({ artifact: loaded.id, reason, problems }, "scout failed");
    return record;
  };

  const head = await port.getPull(pr);
  const reader = new GitHubReader(port, head.headSha, { requests: budget.requests ?? 120, bytesRead: budget.bytesRead ?? 3_000_000 });
  let memo;
  try {
    memo = await scout(reader, { title: artifact.title, goal: [artifact.goal, ...(artifact.guidance ?? [])].join("\n\n"), criteria: artifact.criteria }, { filesRead: budget.filesRead ?? 150, historyCommits: 100 });
  } catch (error) {
    // GitHub not answering is not the repository's fault: the event is tried again.
    if (isTransient(error)) throw error;
    return fail(`The scout could not read the repository: ${(error as Error).message}`, []);
  }
  if (reader.truncated) memo.notFound.push("the whole file tree (GitHub truncated it; the largest repositories are read in part)");
  const checked = checkOutput(contract, memo);
  if (!checked.ok) return fail("The scout's memo does not match `cells/scout/output.schema.json`:", checked.problems);

  const summary = `${memo.likelyFiles.length} likely files${memo.verification.focused ? `; verify with \`${memo.verification.focused}\`` : ""}`;
  const record = store.record(loaded, "stage.completed", { stage: "scout", summary, output: memo as unknown as Record<string, unknown> }, key);
  await port.createComment(pr, fitBody(scoutMemoView(memo, reader.requests + 1), [store.block(record)]));
  log.info({ artifact: loaded.id, likely: memo.likelyFiles.length, requests: reader.requests + 1, ms: memo.stats.ms }, "scout: memo posted");
  return record;
}
