import type { FactoryConfig } from "../config/schema.js";
import { desiredLabels, labelChanges } from "../line/labels.js";
import { configHandoff } from "../line/next.js";
import { rawBlocks } from "../state/codec.js";
import { TRACKING_MARKER, type ArtifactStore, type LoadedArtifact } from "../state/artifact-store.js";
import type { LabelsPort, ThreadsPort } from "../ports/github.js";
import type { Artifact } from "../state/fold.js";
import { trackingView } from "../views/comments.js";
import { fitBody } from "../views/render.js";

/**
 * The hidden blocks the tracking comment already carries, exactly as written:
 * re-rendering never edits a record. They are the ones after the marker; the view
 * before it shows untrusted text (criteria, file and check names), and text there
 * that looks like a block's start is not one, nor copied below on the next render.
 */
export function existingBlocks(body: string): string[] {
  const at = body.indexOf(TRACKING_MARKER);
  return rawBlocks(at < 0 ? body : body.slice(at + TRACKING_MARKER.length));
}

export function trackingBody(artifact: Artifact, view: { title: string; missing: readonly string[] }, blocks: readonly string[]): string {
  return fitBody(trackingView(artifact, view), [TRACKING_MARKER, ...blocks]);
}

/**
 * Brings the derived views up to date with the fold: the tracking comment (only
 * when its text changed) and the stage and status labels (only the difference).
 */
export async function syncViews(
  store: ArtifactStore<ThreadsPort & LabelsPort>,
  config: FactoryConfig,
  loaded: LoadedArtifact,
  artifact: Artifact,
  currentLabels: readonly string[],
  view: { title: string; missing: readonly string[] },
): Promise<void> {
  const { port } = store;
  const waitingOn = configHandoff(artifact, config);
  if (waitingOn) artifact = { ...artifact, nextHandoff: waitingOn };
  if (loaded.tracking) {
    const body = trackingBody(artifact, view, existingBlocks(loaded.tracking.body));
    if (body !== loaded.tracking.body) {
      await port.updateComment(loaded.tracking.id, body);
      // Every copy of this artifact shares the comment: a later sync in the same event compares with what is there now.
      loaded.tracking.body = body;
    }
  }
  const { add, remove } = labelChanges(config, currentLabels, desiredLabels(config, artifact));
  for (const label of add) await port.ensureLabel(label.name, label.color, label.description);
  await port.addLabels(loaded.issue, add.map((l) => l.name));
  for (const name of remove) await port.removeLabel(loaded.issue, name);
}
