import type { FactoryConfig } from "../../config/schema.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { SignedRecord } from "../../state/records.js";
import { harnessFor, HARNESSES_HELP } from "../../cells/harness.js";
import { stageFailedView } from "../../views/comments.js";
import { fitBody, render } from "../../views/render.js";
import { contractFor } from "../../cells/contracts.js";
import type { Line } from "../advance.js";
import { dispatchCell } from "./actions-runner.js";

/**
 * Hands the build to the runner the repository chose and records that it started;
 * the webhook handler returns at once. The job's result arrives later as its own
 * record (local: from the worker; actions: from the `workflow_run` event).
 */
export async function startBuild(store: GitHubStore, config: FactoryConfig, line: Line, loaded: LoadedArtifact, key: string, job: string): Promise<SignedRecord> {
  const choice = config.cells.build;
  const pr = loaded.artifact.pr as number;
  if (!harnessFor(choice)) {
    const reason = `No harness is configured for the build stage: set \`cells.build.harness\` in \`.github/factory.yml\` to ${HARNESSES_HELP}.`;
    const failed = store.record(loaded, "stage.failed", { stage: "build", reason }, key);
    await store.port.createComment(pr, fitBody(stageFailedView("build", reason, []), [store.block(failed)]));
    return failed;
  }
  const harness = choice.harness as string;
  const record = store.record(loaded, "stage.started", { stage: "build", runner: choice.runner, job, harness }, key);
  const body = render("comments/build-started.md", {
    harness,
    model: choice.model ?? false,
    runner: choice.runner,
    job,
    timeout: choice.timeoutMinutes,
    actions: choice.runner === "actions",
  });
  // Recorded before the job exists: a job never runs for an artifact whose records do not name it.
  await store.port.createComment(pr, fitBody(body, [store.block(record)]));
  if (choice.runner === "actions") {
    const contract = contractFor(line.contracts, "build");
    // Before the dispatch: whatever happens to it, the line looks for its run later.
    await line.later({ kind: "handoff.check", issue: loaded.issue, job, attempt: 1 }, line.handOffCheckMs);
    await dispatchCell(store, loaded, { cell: "builder", job, config, ...(contract ? { contract } : {}) });
  } else {
    await line.queue.add({ id: job, cell: "builder", installationId: line.installationId, owner: store.port.ref.owner, repo: store.port.ref.repo, issue: loaded.issue, config });
  }
  line.log.info({ artifact: loaded.id, job, runner: choice.runner, harness }, "build: started");
  return record;
}
