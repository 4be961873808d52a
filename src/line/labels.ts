import type { FactoryConfig } from "../config/schema.js";
import type { Artifact } from "../state/fold.js";

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

/**
 * Whether two label names are one label: GitHub matches them without regard to case
 * (adding `Factory:Intake` where `factory:intake` exists applies the existing one, and
 * webhooks carry the repository's spelling), so the configured names are compared so.
 */
export function sameLabel(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether `labels` holds `name`, as GitHub matches names. */
export function hasLabel(labels: readonly string[], name: string): boolean {
  return labels.some((label) => sameLabel(label, name));
}

/** The labels that mark an artifact's stage and status, derived from the fold. */
export function desiredLabels(config: FactoryConfig, artifact: Artifact): LabelSpec[] {
  const labels: LabelSpec[] = [];
  const { labels: names } = config;
  if (artifact.status === "needs-criteria") {
    labels.push({ name: names.needsCriteria, color: "fbca04", description: "Factory: the issue needs success criteria before work starts" });
  }
  if (artifact.pr !== undefined && artifact.stage !== "intake") {
    labels.push({
      name: `${names.stagePrefix}${artifact.stage}`,
      color: "1d76db",
      description: artifact.stage === "done" ? "Factory: the line is done" : `Factory: the artifact is at the ${artifact.stage} stage`,
    });
  }
  if (artifact.status === "stopped") labels.push({ name: names.stopped, color: "6a737d", description: "Factory: stopped by a person" });
  if (artifact.status === "blocked") labels.push({ name: names.blocked, color: "d93f0b", description: "Factory: blocked, waiting for a person" });
  return labels;
}

/** Which of the factory's own labels to add and remove so the issue shows `desired`. */
export function labelChanges(
  config: FactoryConfig,
  current: readonly string[],
  desired: readonly LabelSpec[],
): { add: LabelSpec[]; remove: string[] } {
  const { labels: names } = config;
  const ours = (name: string) =>
    name.toLowerCase().startsWith(names.stagePrefix.toLowerCase()) || [names.needsCriteria, names.stopped, names.blocked].some((n) => sameLabel(name, n));
  return {
    add: desired.filter((l) => !hasLabel(current, l.name)),
    remove: current.filter((name) => ours(name) && !desired.some((l) => sameLabel(l.name, name))),
  };
}
