import type { FactoryConfig } from "../../config/schema.js";
import { isRefusal, statusOf } from "../../github/errors.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { SignedRecord } from "../../state/records.js";
import { fitBody } from "../../views/render.js";
import { waitsForScope } from "../../line/scope.js";
import { hasReleaseNote } from "./release-note.js";

type Method = "merge" | "squash" | "rebase";

/** What `/factory ship` did: merged, brought the branch up to date (and waits), or refused with the reason. */
export type ShipResult = { kind: "merged"; reply: string; record: SignedRecord } | { kind: "updating"; reply: string; record: SignedRecord } | { kind: "refused"; reply: string; reason: string };

/**
 * The ship that waits on the updated branch and can go on now: its head (not the one
 * the base was merged into) passed, and the line is waiting for review. Who asked.
 */
export function shipReady(loaded: LoadedArtifact): { by: string } | undefined {
  const { artifact } = loaded;
  const ship = artifact.ship;
  if (ship?.state !== "waiting" || artifact.status !== "active" || artifact.stage !== "analyst") return undefined;
  // Exactly the commit the base was merged into the branch with, once it passed.
  return artifact.verification === "pass" && ship.after !== undefined && artifact.verifiedSha === ship.after ? { by: ship.by } : undefined;
}

/**
 * `/factory ship`: merges the artifact's PR when, and only when, its head has a pass
 * verdict, the reviews its base branch requires are in, and it is up to date with its
 * base. Behind the base, it merges the base into the branch (a push: CI and the
 * verifier run on the new head) and merges once that head passes. It merges with the
 * configured method or the first the repository allows, at exactly the verified
 * commit, and never around protection: GitHub's refusal is the answer. The release
 * note is placed with the post-run note, as for any merge (`handlePullClosed`): a
 * process that dies after the merge leaves nothing undone that the merge's own
 * `closed` event does not finish.
 *
 * The caller has checked the person's role. Writes the comment (on `thread`, where
 * it was asked, else the PR) and its record; a refusal is left to the caller, which
 * records it (an answered command, or a waiting ship called off).
 */
export async function runShip(store: GitHubStore, config: FactoryConfig, loaded: LoadedArtifact, by: string, key: string, thread?: number): Promise<ShipResult> {
  const { port } = store;
  const { artifact } = loaded;
  const refuse = (reason: string): ShipResult => ({ kind: "refused", reason, reply: `Not shipped, @${by}: ${reason}` });
  const pr = artifact.pr;
  if (pr === undefined) return refuse(`#${loaded.issue} has no factory pull request to ship.`);
  if (artifact.ship?.state === "merged") return refuse(`it was already shipped (by @${artifact.ship.by}).`);
  if (artifact.status === "done") return refuse(`the line is done for this artifact (${artifact.nextHandoff.replace(/^nobody: /, "")}).`);
  if (artifact.status === "stopped") return refuse("the artifact is stopped; `/factory retry` resumes it, then ship.");
  if (artifact.running?.stage === "build") return refuse(`a build is running (job \`${artifact.running.job}\`); ship after it is verified.`);
  if (waitsForScope(artifact, config)) return refuse("the scout's plan waits for approval (`/factory approve`); nothing was built for it yet.");

  const pull = await port.getPull(pr);
  if (pull.merged) return refuse(`#${pr} is already merged; the post-run note follows.`);
  if (pull.state === "closed") return refuse(`#${pr} is closed.`);
  const head = pull.headSha;
  const short = head.slice(0, 7);
  const base = pull.baseRef ?? (artifact.baseBranch as string);
  const verdict = verdictProblem(artifact.verification, artifact.verifiedSha, head);
  // Unless an earlier try merged the base in on the passed head and died before its record: that merge is this ship's to wait on.
  const unrecorded = verdict === undefined ? undefined : await unrecordedUpdate(store, loaded, pull, base);
  if (verdict && !unrecorded) return refuse(verdict);
  // Verified, and the line agrees: packaged and waiting on review, not blocked, not sent back by a review or a revision.
  if (artifact.status !== "active") return refuse(`the artifact is ${artifact.status} (${artifact.nextHandoff.slice(0, 200)}).`);
  // (unrecordedUpdate allows verify, where the update's push sent the line.)
  if (!unrecorded && artifact.stage !== "analyst") return refuse(`the line is at **${artifact.stage}** (${artifact.nextHandoff.slice(0, 200)}); ship once it is verified and packaged again.`);

  const decision = await port.reviewDecision(pr);
  if (decision === "REVIEW_REQUIRED") return refuse(`the approving reviews that branch protection on \`${base}\` requires are not in yet. A reviewer with write access approves, then ship.`);
  if (decision === "CHANGES_REQUESTED") return refuse("a reviewer requested changes and has not approved since. Address the review (the builder does, on its own), then ship.");
  if (unrecorded) return waitOn(store, loaded, { by, key, thread, pr, headRef: pull.headRef, base, verified: unrecorded.verified, after: head, found: true });

  const behind = await port.behindBy(base, head);
  if (behind > 0) {
    let merged;
    try {
      merged = await port.mergeInto(pull.headRef, base, updateMessage(base, pull.headRef));
    } catch (error) {
      // Refused for good (a workflow file changed on the base, which an app without the `workflows` permission may not merge in): said, not tried again.
      if (!isRefusal(error)) throw error;
      return refuse(`\`${pull.headRef}\` is ${behind} commit${behind === 1 ? "" : "s"} behind \`${base}\`, and GitHub refused to merge \`${base}\` into it (${statusOf(error) ?? "error"}): ${refusalMessage(error)}. Update the branch by hand, then ship.`);
    }
    if (merged.state === "conflict") return refuse(`\`${pull.headRef}\` is ${behind} commit${behind === 1 ? "" : "s"} behind \`${base}\` and merging \`${base}\` into it conflicts. Resolve the conflict on the branch, then ship.`);
    if (merged.state === "merged") return waitOn(store, loaded, { by, key, thread, pr, headRef: pull.headRef, base, verified: head, behind, after: merged.sha });
  }

  const allowed = await port.mergeMethods();
  const method: Method | undefined = config.ship.method ?? allowed[0];
  if (!method || !allowed.includes(method)) {
    return refuse(config.ship.method ? `\`ship.method: ${config.ship.method}\` is not a merge method this repository allows (it allows ${allowed.map((m) => `\`${m}\``).join(", ") || "none"}); change one of them.` : "this repository allows no merge method.");
  }
  try {
    await port.mergePull(pr, head, method);
  } catch (error) {
    if (!isRefusal(error)) throw error;
    return refuse(`GitHub refused the merge (${statusOf(error) ?? "error"}): ${refusalMessage(error)}`);
  }
  const record = store.record(loaded, "ship.merged", { by, sha: head, method }, key);
  const target = config.package.changelog;
  const reply = [
    `Shipped for @${by}: merged #${pr} (${method}) at \`${short}\`, verified, with the reviews branch protection requires and up to date with \`${base}\`.`,
    target === "none" || !hasReleaseNote(loaded) ? "" : `The release note goes to ${target === "release" ? "the draft release" : `\`${target}\``} with the post-run note.`,
  ]
    .filter(Boolean)
    .join("\n\n");
  await port.createComment(thread ?? pr, fitBody(reply, [store.block(record)]));
  return { kind: "merged", reply, record };
}

/** The merge commit `/factory ship` makes to bring the branch up to date: how a later try knows its own. */
function updateMessage(base: string, headRef: string): string {
  return `Merge ${base} into ${headRef} for /factory ship`;
}

/**
 * The head is the merge of the base into the branch that a try of `/factory ship`
 * made on the commit that passed, and no record says so: the process died between
 * the merge and its record (the retry, or the next ship, would otherwise refuse the
 * merge's own head as unverified, and nothing would merge). One GET, only when a
 * ship would be refused for its verdict. The last verdict must be that commit's
 * pass (a stale one still is: the update's push made it stale), so no verdict but a
 * pass is ever stepped over; whoever made such a commit, the PR merges only once
 * its head passes too, with the reviews in.
 */
async function unrecordedUpdate(store: GitHubStore, loaded: LoadedArtifact, pull: { headSha: string; headRef: string }, base: string): Promise<{ verified: string } | undefined> {
  const { artifact } = loaded;
  const passed = artifact.passedSha;
  if (passed === undefined || passed !== artifact.verifiedSha || passed === pull.headSha || artifact.ship?.state === "waiting") return undefined;
  if (artifact.status !== "active" || (artifact.stage !== "analyst" && artifact.stage !== "verify")) return undefined;
  const commit = await store.port.gitCommit(pull.headSha);
  if (commit.parents.length !== 2 || commit.parents[0] !== passed) return undefined;
  return commit.message.trim() === updateMessage(base, pull.headRef) ? { verified: passed } : undefined;
}

/** Records the ship as waiting on the updated head `after`, and says so. */
async function waitOn(
  store: GitHubStore,
  loaded: LoadedArtifact,
  ship: { by: string; key: string; thread: number | undefined; pr: number; headRef: string; base: string; verified: string; after: string; behind?: number; found?: boolean },
): Promise<ShipResult> {
  const behind = ship.behind ?? (await store.port.behindBy(ship.base, ship.verified));
  const record = store.record(loaded, "ship.requested", { by: ship.by, sha: ship.verified, behind, after: ship.after }, ship.key);
  const behindWords = `\`${ship.headRef}\` was ${behind} commit${behind === 1 ? "" : "s"} behind \`${ship.base}\``;
  const done = ship.found
    ? `${behindWords}: \`${ship.base}\` was already merged into it at \`${ship.after.slice(0, 7)}\` by an earlier try of this ship, for @${ship.by}.`
    : `${behindWords}: merged \`${ship.base}\` into it for @${ship.by}.`;
  const reply = `${done} The verifier checks the new head, and it merges once that passes (\`/factory stop\` calls it off).`;
  await store.port.createComment(ship.thread ?? ship.pr, fitBody(reply, [store.block(record)]));
  return { kind: "updating", reply, record };
}

/** Why the head's verdict does not allow a merge, or undefined when it passed at exactly this head. */
export function verdictProblem(verification: string, verifiedSha: string | undefined, head: string): string | undefined {
  const at = verifiedSha ? ` at \`${verifiedSha.slice(0, 7)}\`` : "";
  if (verification === "pass" && verifiedSha === head) return undefined;
  if (verification === "pass" || verification === "stale") return `the pass verdict${at} is for an older head; the head is \`${head.slice(0, 7)}\` now. The verifier runs on it (or \`/factory verify\`), then ship.`;
  if (verification === "fail") return `the verdict${at} is a fail. The builder works on it; ship once it passes.`;
  if (verification === "no-evidence") return `nothing verified the head${at}: add CI or \`verify.commands\`, or a maintainer accepts it with \`/factory verify --accept-no-evidence\`.`;
  if (verification === "pending") return "the head is being verified; ship once it passes.";
  return "the head has no verdict yet; `/factory verify` runs the verifier.";
}

/** GitHub's own words for a refusal, on one line. */
function refusalMessage(error: unknown): string {
  const message = (error as { response?: { data?: { message?: string } } }).response?.data?.message ?? (error as Error).message;
  return message.split("\n")[0]?.slice(0, 300) ?? "";
}
