import { checkOutput, type CellContract } from "../../cells/contracts.js";
import { hasLabel } from "../../line/labels.js";
import type { FactoryConfig } from "../../config/schema.js";
import type { ArtifactStore, LoadedArtifact } from "../../state/artifact-store.js";
import type { LabelsPort, PullFilesPort, ThreadsPort } from "../../ports/github.js";
import type { SignedRecord } from "../../state/records.js";
import { packageNoteView, stageFailedView } from "../../views/comments.js";
import { fitBody } from "../../views/render.js";
import { decidePackage } from "./decide.js";

/** The labels that name an artifact's deploy targets. */
export const targetLabel = (name: string) => `factory:target/${name}`;

/**
 * The packager, after a pass: the PR's changed files mapped to the configured
 * targets, the decision in words, lines per target, the release-note line and a
 * deploy note per target, posted on the PR with its record; `factory:target/<name>`
 * labels on the PR say where it ships.
 */
export async function runPackage(store: ArtifactStore<ThreadsPort & LabelsPort & PullFilesPort>, config: FactoryConfig, contract: CellContract, loaded: LoadedArtifact, key: string): Promise<SignedRecord> {
  const { port } = store;
  const pr = loaded.artifact.pr as number;
  const files = await port.pullFiles(pr);
  const labels = await port.issueLabels(pr);
  const note = decidePackage(files, config.package.targets, { number: pr, title: loaded.artifact.title, labels });
  const checked = checkOutput(contract, note);
  if (!checked.ok) {
    const reason = "The package note does not match `cells/packager/output.schema.json`:";
    const failed = store.record(loaded, "stage.failed", { stage: "package", reason }, key);
    await port.createComment(pr, fitBody(stageFailedView("package", reason, checked.problems), [store.block(failed)]));
    return failed;
  }
  // The labels before the record: once the record is there, a try after a failure would not come back for them.
  const wanted = note.targets.map((t) => targetLabel(t.name)).filter((l) => !hasLabel(labels, l));
  for (const label of wanted) await port.ensureLabel(label, "0e8a16", `Ships to the ${label.slice("factory:target/".length)} target`);
  if (wanted.length) await port.addLabels(pr, wanted);
  const record = store.record(loaded, "stage.completed", { stage: "package", summary: note.decision, output: note as unknown as Record<string, unknown> }, key);
  await port.createComment(pr, fitBody(packageNoteView(note, Object.keys(config.package.targets).length > 0), [store.block(record)]));
  return record;
}
