import { checkOutput, type CellContract } from "../../cells/contracts.js";
import { isRefusal } from "../../github/errors.js";
import type { FactoryConfig } from "../../config/schema.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { SignedRecord } from "../../state/records.js";
import { postRunNoteView, stageFailedView } from "../../views/comments.js";
import { fitBody } from "../../views/render.js";
import { RUN_NOTES_DIR, type RunNote } from "../scout/run-notes.js";
import { runMetrics, type RunMetrics } from "./metrics.js";
import { LESSONS_DIR } from "../learn/lesson-file.js";
import { latestOutput } from "../build/prompt.js";
import { LESSON_STATS, lessonFiles, lessonOutcome, parseStats, proposeLessons, updateStats } from "../learn/lessons.js";
import { proposeRefitWhenDue } from "../learn/refit.js";

/** `2026-11-25-dark-mode-setting-has-no-effect`: the run note's file name. */
export function runNoteName(endedAt: string, title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 50) || "artifact";
  return `${endedAt.slice(0, 10)}-${slug}`;
}

/**
 * The analyst at the end (merged or closed): the metrics from the records and the
 * PR, the post-run note on the PR with its record, and the note written back to
 * `.factory/runs/` on the default branch (a commit, or a small PR, per config),
 * where the next scout reads it.
 */
export async function runAnalyst(
  store: GitHubStore,
  config: FactoryConfig,
  contract: CellContract,
  loaded: LoadedArtifact,
  pull: { merged: boolean; endedAt: string; defaultBranch: string; releaseNote?: string },
  key: string,
  /** Runs the learn stage's proposals one merge at a time in the repository (the caller's lock; `check` says it is still held). */
  learnLock: <T>(fn: (check: () => Promise<void>) => Promise<T>) => Promise<T> = (fn) => fn(async () => {}),
): Promise<{ record: SignedRecord; metrics?: RunMetrics; written?: string }> {
  const { port } = store;
  const { artifact } = loaded;
  const pr = artifact.pr as number;
  const [files, commits, reviews] = await Promise.all([port.pullFiles(pr), port.pullCommits(pr), port.pullReviews(pr)]);
  const human = reviews.filter((r) => r.login !== store.botLogin && r.state !== "PENDING");
  const metrics = runMetrics(loaded.id, loaded.records, { merged: pull.merged, endedAt: pull.endedAt, files, commits, reviews: human });
  const checked = checkOutput(contract, metrics);
  if (!checked.ok) {
    const reason = "The post-run metrics do not match `cells/analyst/output.schema.json`:";
    const record = store.record(loaded, "stage.failed", { stage: "analyst", reason }, key);
    await port.createComment(pr, fitBody(stageFailedView("analyst", reason, checked.problems), [store.block(record)]));
    return { record };
  }
  const name = runNoteName(pull.endedAt, artifact.title);
  const path = `${RUN_NOTES_DIR}${name}.json`;
  const note: RunNote & { metrics: RunMetrics; pr: number } = {
    v: 1,
    artifact: loaded.id,
    title: artifact.title,
    goal: artifact.goal,
    criteria: artifact.criteria,
    changedFiles: metrics.scout.changed,
    pr,
    metrics,
  };
  const approvals = loaded.records.filter((r) => r.kind === "scope.approved").map((r) => `@${String(r.data.by)}`);
  const markdown = postRunNoteView(metrics, { title: artifact.title, pr, artifact: loaded.id, learned: learnedSettings(loaded.records), ...(approvals.length ? { scope: [...new Set(approvals)].join(", ") } : {}) });
  const now = new Date(pull.endedAt);
  // The lessons this run's prompts carried are credited (first-try pass, no requested changes) or debited.
  const used = [...new Set(loaded.records.flatMap((r) => (r.kind === "stage.completed" && r.data.stage === "build" && Array.isArray(r.data.output?.lessons) ? (r.data.output.lessons as string[]) : [])))];
  let written: string | undefined;
  let unwritten: string | undefined;
  if (config.analyst.runNotes !== "off") {
    // The note, and the lesson stats as they stand where the note is written, with this run's outcome counted.
    const content = async (read: (path: string) => Promise<string | undefined>): Promise<Record<string, string>> => {
      const files: Record<string, string> = { [path]: `${JSON.stringify(note, null, 2)}\n`, [`${RUN_NOTES_DIR}${name}.md`]: `${markdown}\n` };
      if (used.length) files[LESSON_STATS] = `${JSON.stringify(updateStats(parseStats(await read(LESSON_STATS)).stats, used, lessonOutcome(metrics), now), null, 2)}\n`;
      return files;
    };
    const message = `chore(factory): post-run note for #${artifact.issue ?? pr}`;
    // A protected default branch refuses the commit: the note is still posted, and says so.
    // The note and the lesson stats go in one commit, so a note already there (an earlier try's) means both were written.
    // On the default branch they are read and committed at one commit: another merge's note or a person's push in between is built on.
    const viaPull = async (): Promise<string> => {
      // Not `<prefix><number>-…`: only artifact branches have that shape.
      const branch = `${config.branchPrefix}run-note-${name}`;
      const head = await port.branchHead(pull.defaultBranch);
      const made = await port.createBranch(branch, head.sha);
      // The stats as the note's branch has them (it may be an earlier try's, on an older base).
      if (made === "created" || (await port.readFile(path, branch)) === undefined) await port.writeFiles(branch, await content((file) => port.readFile(file, made === "created" ? head.sha : branch)), message);
      const number = await port.openPull({ title: message, head: branch, base: pull.defaultBranch, body: `The post-run note for #${pr}, for the next scout to read.` });
      return `in PR #${number}`;
    };
    try {
      if (config.analyst.runNotes === "commit") {
        try {
          await port.updateFiles(pull.defaultBranch, async (read) => ((await read(path)) === undefined ? content(read) : undefined), message);
          written = `committed to \`${pull.defaultBranch}\``;
        } catch (error) {
          // A protected default branch refuses a direct commit: the note goes by pull request instead, saying why.
          if (!isRefusal(error)) throw error;
          const why = (error as Error).message.split("\n")[0]?.slice(0, 200) ?? "refused";
          written = `${await viaPull()} (\`${pull.defaultBranch}\` refused a direct commit: ${why}; \`analyst.runNotes: pull-request\` goes there at once)`;
        }
      } else {
        written = await viaPull();
      }
    } catch (error) {
      // Only GitHub's refusal is said (a protected branch); GitHub failing for now, or the lock lost, tries the event again.
      if (!isRefusal(error)) throw error;
      unwritten = (error as Error).message.split("\n")[0]?.slice(0, 300) ?? "unknown error";
    }
  }
  const lessonsPr = config.analyst.lessons ? await proposeLessonsPr(store, config, contract, loaded, { now, defaultBranch: pull.defaultBranch }) : undefined;
  const refit = pull.merged && config.stages.learn.enabled ? await learnLock((check) => refitStep(store, config, pull.defaultBranch, check)) : undefined;
  const learned = [
    ...learnedSettings(loaded.records).map((s) => `used: ${s}`),
    lessonsPr ? `proposed ${lessonsPr.count} lesson${lessonsPr.count === 1 ? "" : "s"} from this run's reviews and verifier failures in PR #${lessonsPr.number}` : "",
    used.length && written ? `${lessonOutcome(metrics) === "success" ? "credited" : "debited"} the lessons this run used (${used.map((id) => `\`${id}\``).join(", ")})` : "",
    written ? `the post-run note \`${path}\` is where the next scout starts from` : "",
    refit ?? "",
  ].filter(Boolean);
  const tail = [
    pull.releaseNote ? `Release note: ${pull.releaseNote}.` : "",
    written ? `Written to \`${path}\` (and \`.md\`), ${written}.` : "",
    unwritten ? `Could not write \`${path}\` (${unwritten}).` : "",
    used.length ? `Lessons this run used: ${used.map((id) => `\`${id}\``).join(", ")} (${written ? `${lessonOutcome(metrics) === "success" ? "credited" : "debited"} in \`${LESSON_STATS}\`, ${written.replace(/ \(.*$/, "")}` : `not ${lessonOutcome(metrics) === "success" ? "credited" : "debited"}: \`${LESSON_STATS}\` could not be written`}).` : "",
    lessonsPr ? `Proposed ${lessonsPr.count} lesson${lessonsPr.count === 1 ? "" : "s"} from this run in PR #${lessonsPr.number}: merge it to accept them.` : "",
    refit ? `Learn: ${refit}.` : "",
  ].filter(Boolean);
  // The record keeps the figures; a change of thousands of files keeps its full list in the note file only.
  const cap = (list: readonly string[]) => list.slice(0, 100);
  const kept = { ...metrics, scout: { ...metrics.scout, likely: cap(metrics.scout.likely), changed: cap(metrics.scout.changed), hits: cap(metrics.scout.hits) } };
  const record = store.record(loaded, "run.ended", { outcome: metrics.outcome, metrics: kept as unknown as Record<string, unknown>, note: path, ...(pull.releaseNote ? { releaseNote: pull.releaseNote.slice(0, 500) } : {}), ...(learned.length ? { learned: learned.map((l) => l.slice(0, 500)).slice(0, 10) } : {}) }, key);
  await port.createComment(pr, fitBody([markdown, ...tail].join("\n\n"), [store.block(record)]));
  return { record, metrics, ...(written ? { written } : {}) };
}

/**
 * The scout's refit, after a merge: how far the merged artifacts since its last fit
 * are from `learn.refitAfter`, or the issue that proposes the refit once they reach it.
 * A refusal from GitHub is said, not thrown (the run's note still goes up).
 */
export async function refitStep(store: GitHubStore, config: FactoryConfig, defaultBranch: string, check: () => Promise<void>): Promise<string | undefined> {
  try {
    const refit = await proposeRefitWhenDue(store.port, config, defaultBranch, check);
    if (!refit) return undefined;
    const { count, proposal } = refit;
    if (proposal) return `${count.atLeast ? "at least " : ""}${count.merged} artifacts merged since the scout's weights were ${count.fittedOn ? `fitted (${count.fittedOn})` : "set"}: a refit is proposed in #${proposal.issue}`;
    return `${count.merged} of ${config.learn.refitAfter} merged artifacts toward the scout's next refit`;
  } catch (error) {
    // Only GitHub's refusals are said; GitHub failing for now, or the learn lock lost, tries the event again.
    if (!isRefusal(error)) throw error;
    return `the scout's refit could not be checked (${(error as Error).message.split("\n")[0]?.slice(0, 200)})`;
  }
}

/** What this run used of what the line learned on the repository: calibrated scout weights, an accepted prompt template. */
export function learnedSettings(records: readonly SignedRecord[]): string[] {
  const learned: string[] = [];
  const memo = latestOutput(records, "scout");
  if (typeof memo?.weights === "string") learned.push(`the scout ranked with ${memo.weights}`);
  const builds = records.filter((r) => r.kind === "stage.completed" && r.data.stage === "build");
  const prompt = (builds.at(-1)?.data as { output?: { prompt?: { template?: unknown; digest?: unknown } } } | undefined)?.output?.prompt;
  if (typeof prompt?.template === "string" && prompt.template.startsWith(".factory/")) learned.push(`the builder's prompt came from the repository's accepted template \`${prompt.template}\` (${String(prompt.digest)})`);
  return learned;
}

/**
 * Lessons from this run's requested changes and verifier failures, as a PR to
 * `.factory/lessons/` that a person accepts by merging. Ids already accepted are skipped.
 */
async function proposeLessonsPr(
  store: GitHubStore,
  config: FactoryConfig,
  contract: CellContract,
  loaded: LoadedArtifact,
  at: { now: Date; defaultBranch: string },
): Promise<{ number: number; count: number } | undefined> {
  const { port } = store;
  const head = await port.branchHead(at.defaultBranch);
  const existing = new Set(
    (await port.tree(head.treeSha)).files.filter((f) => f.path.startsWith(`${LESSONS_DIR}/`) && f.path.endsWith(".md")).map((f) => f.path.slice(LESSONS_DIR.length + 1, -3)),
  );
  const pr = loaded.artifact.pr as number;
  const lessons = proposeLessons(loaded.records, { now: at.now, max: contract.spec.budget.lessons ?? 5, existing, prUrl: `https://github.com/${port.fullName}/pull/${pr}` });
  if (lessons.length === 0) return undefined;
  const branch = `${config.branchPrefix}lessons-from-${loaded.issue}`;
  // An earlier try may have made the branch (and the PR): its PR is the one to name; without one, the files are written again.
  if ((await port.createBranch(branch, head.sha)) === "exists") {
    const open = await port.findOpenPull(branch);
    if (open) return { number: open.number, count: lessons.length };
  }
  await port.writeFiles(branch, lessonFiles(lessons), `chore(factory): propose ${lessons.length} lesson${lessons.length === 1 ? "" : "s"} from #${pr}`);
  const body = [
    `Lessons the analyst drew from #${pr}. Merge to accept them: the builder's prompt then carries the matching ones, chosen by how well they have worked. Edit or delete any before merging.`,
    "",
    ...lessons.map((l) => `- **${l.title}** (\`${l.paths.join("`, `") || "any path"}\`) from ${l.sources[0] ?? `#${pr}`}`),
  ].join("\n");
  const number = await port.openPull({ title: `Factory lessons from #${pr}`, head: branch, base: at.defaultBranch, body });
  return { number, count: lessons.length };
}
