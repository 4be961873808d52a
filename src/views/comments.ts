import { STAGES } from "../line/stages.js";
import type { Artifact } from "../state/fold.js";
import type { ScoutMemo } from "../stages/scout/memo.js";
import { render } from "./render.js";

export function trackingView(artifact: Artifact, options: { title: string; missing: readonly string[] }): string {
  const opened = artifact.pr !== undefined;
  const currentIndex = artifact.stage === "done" ? STAGES.length : STAGES.indexOf(artifact.stage);
  return render("comments/tracking.md", {
    title: artifact.title || options.title,
    needsCriteria: !opened && options.missing.length > 0 ? { missing: options.missing } : false,
    opened: opened
      ? {
          pr: artifact.pr,
          branch: artifact.branch,
          stages: STAGES.map((name, index) => ({
            name,
            done: index < currentIndex,
            current: index === currentIndex,
            status: artifact.status,
          })),
          nextHandoff: artifact.nextHandoff,
          criteria: artifact.criteria,
          criteriaCount: artifact.criteria.length,
        }
      : false,
  });
}

export function statusView(artifact: Artifact, issue: number): string {
  const attempts = Object.entries(artifact.attempts)
    .map(([stage, count]) => `${stage} ${count}`)
    .join(", ");
  return render("comments/status.md", {
    issue,
    pr: artifact.pr ?? false,
    stage: artifact.stage,
    status: artifact.status,
    owner: artifact.owner ? `@${artifact.owner}` : "—",
    branch: artifact.branch ? `\`${artifact.branch}\`` : "—",
    verification: artifact.verification,
    attempts: attempts || "—",
    nextHandoff: artifact.nextHandoff,
    updatedAt: artifact.updatedAt ?? "—",
  });
}

export function configInvalidView(path: string, problems: readonly string[]): string {
  return render("comments/config-invalid.md", {
    path,
    problems,
    count: problems.length,
    plural: problems.length === 1 ? "" : "s",
  });
}

export function scoutMemoView(memo: ScoutMemo, requests: number): string {
  return render("comments/scout-memo.md", {
    ...memo,
    likelyFiles: memo.likelyFiles.map((f, i) => ({ ...f, rank: i + 1, why: f.reasons.join("; ") })),
    focused: memo.verification.focused ?? false,
    commands: memo.verification.commands,
    hasConstraints: memo.constraints.length > 0,
    owners: memo.owners.map((o) => ({ ...o, list: o.owners.join(", ") })),
    hasOwners: memo.owners.length > 0,
    hasNotFound: memo.notFound.length > 0,
    notFound: memo.notFound.join("; "),
    requests,
  });
}

export function stageFailedView(stage: string, reason: string, problems: readonly string[]): string {
  return render("comments/stage-failed.md", { stage, reason, problems });
}

export function pullRequestBody(view: { issue: number; goal: string; criteria: readonly string[]; requestedBy: string }): string {
  return render("pull-request.md", view);
}
