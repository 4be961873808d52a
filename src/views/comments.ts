import { STAGES } from "../line/stages.js";
import type { Artifact } from "../state/fold.js";
import type { RunMetrics } from "../stages/analyst/metrics.js";
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
          wip: artifact.wip === true,
          verification: verificationLine(artifact),
          stages: STAGES.map((name, index) => ({
            name,
            done: index < currentIndex,
            current: index === currentIndex,
            status: artifact.status,
          })),
          nextHandoff: artifact.nextHandoff,
          learned: artifact.learned?.length ? artifact.learned : false,
          scope: artifact.scopeApproved ? `approved by @${artifact.scopeApproved.by}` : false,
          criteria: checklist(artifact),
          criteriaCount: artifact.criteria.length,
          cut: artifact.cut?.length ? { notes: artifact.cut } : false,
        }
      : false,
  });
}

/** The criteria as a checklist: each with the last verdict's evidence for it, when there is one for these criteria. */
function checklist(artifact: Artifact): Array<{ text: string; mark: string; evidence: string | false }> {
  const mapped = new Map((artifact.criteriaEvidence ?? []).map((c) => [c.criterion, c]));
  return artifact.criteria.map((text) => {
    const found = mapped.get(text.slice(0, 500));
    if (!found) return { text, mark: " ", evidence: false };
    const word = found.state === "evidence" ? found.evidence : found.state === "failing" ? `**failing**: ${found.evidence}` : `needs a person: ${found.evidence}`;
    return { text, mark: found.state === "evidence" ? "x" : " ", evidence: word };
  });
}

/** The tracking comment's word on verification: what the last verdict was for, and whether it still counts. */
function verificationLine(artifact: Artifact): string | false {
  const at = artifact.verifiedSha ? ` at \`${artifact.verifiedSha.slice(0, 7)}\`` : "";
  switch (artifact.verification) {
    case "stale":
      return `**stale**: the last verdict${at} is for an older head; the new head has none yet, and is verified next`;
    case "pass":
      return `passed${at}`;
    case "fail":
      return `failed${at}`;
    case "no-evidence":
      return `**no evidence**${at}: nothing verified it`;
    case "pending":
      return "pending";
    default:
      return false;
  }
}

export function statusView(artifact: Artifact, issue: number, sandbox: string): string {
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
    sandbox,
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
    weights: memo.weights,
    requests,
  });
}

/**
 * Lines of a process's output as a fenced block whose fence is longer than any run of
 * backticks inside, so output can never close it early and turn into Markdown.
 */
export function codeBlock(lines: readonly string[]): string {
  const text = lines.join("\n");
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

export function stageFailedView(stage: string, reason: string, problems: readonly string[], output: readonly string[] = []): string {
  return render("comments/stage-failed.md", { stage, reason, problems, output: output.length ? { lines: output.length, block: codeBlock(output) } : false });
}

export function buildSummaryView(s: {
  harness: string;
  model?: string;
  runner: string;
  durationMs: number;
  commits: ReadonlyArray<{ sha: string; subject: string }>;
  files: readonly string[];
  insertions: number;
  deletions: number;
  netLines: number;
  costUsd?: number;
  refusedEnv?: readonly string[];
}): string {
  return render("comments/build-summary.md", {
    ...s,
    model: s.model ?? false,
    duration: formatDuration(s.durationMs),
    commits: s.commits.map((c) => ({ short: c.sha.slice(0, 7), subject: c.subject })),
    commitCount: s.commits.length,
    fileCount: s.files.length,
    files: s.files.slice(0, 30),
    moreFiles: s.files.length > 30 ? s.files.length - 30 : false,
    net: s.netLines >= 0 ? `+${s.netLines}` : String(s.netLines),
    cost: s.costUsd !== undefined ? `$${s.costUsd.toFixed(2)}` : "not reported",
    refused: s.refusedEnv?.length ? s.refusedEnv.join(", ") : false,
  });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function pullRequestBody(view: { issue: number; goal: string; criteria: readonly string[]; requestedBy: string; cut?: readonly string[] }): string {
  return render("pull-request.md", { ...view, cut: view.cut?.length ? { notes: view.cut } : false });
}

export function verifierResultView(
  output: { verdict: "pass" | "fail"; sha: string; evidence: ReadonlyArray<{ kind: string; name: string; state: string; url?: string | undefined }>; summary: string; failures: number; acceptedBy?: string | undefined },
  maxBuildAttempts: number,
  buildAttempts: number,
): string {
  return render("comments/verifier-result.md", {
    verdictWord: output.verdict === "pass" ? "pass" : "fail",
    short: output.sha.slice(0, 7),
    pass: output.verdict === "pass",
    fail: output.verdict === "fail" ? { failures: output.failures, block: codeBlock(output.summary.split("\n")) } : false,
    count: output.evidence.length,
    acceptedBy: output.acceptedBy ?? "?",
    // Links come from other apps' check runs: http(s) only, and nothing that could end the Markdown link early.
    evidence: output.evidence.map((e) => ({ ...e, url: e.url && /^https?:\/\//.test(e.url) ? e.url.replace(/[()\s<>]/g, (c) => encodeURIComponent(c)) : false })),
    retry: buildAttempts < maxBuildAttempts,
    nextAttempt: buildAttempts + 1,
    max: maxBuildAttempts,
    check: "factory/verify",
  });
}

export function packageNoteView(
  note: {
    decision: string;
    targets: ReadonlyArray<{ name: string; files: readonly string[]; lines: number }>;
    linesPerTarget: Readonly<Record<string, number>>;
    other: { files: readonly string[]; lines: number };
    releaseNote: { section: string; line: string };
    totalLines: number;
  },
  configured: boolean,
): string {
  const touched = new Map(note.targets.map((t) => [t.name, t]));
  return render("comments/package-note.md", {
    decision: note.decision,
    configured,
    rows: Object.entries(note.linesPerTarget).map(([name, lines]) => ({ name, files: touched.get(name)?.files.length ?? 0, lines })),
    other: note.other.files.length ? { files: note.other.files.length, lines: note.other.lines } : false,
    total: note.totalLines,
    fileCount: note.targets.reduce((n, t) => n + t.files.length, 0) + note.other.files.length,
    section: note.releaseNote.section,
    line: note.releaseNote.line,
    deploys: note.targets.map((t) => ({ note: deployNote(t.name, { target: t.name, files: t.files.length, lines: t.lines }) })),
  });
}

/** `templates/deploy/<target>.md` when the repository's target has one, else the default. */
export function deployNote(target: string, view: Record<string, unknown>): string {
  try {
    return render(`deploy/${target.replace(/[^a-z0-9-]/g, "")}.md`, view);
  } catch {
    return render("deploy/default.md", view);
  }
}

export function postRunNoteView(
  m: RunMetrics,
  about: { title: string; pr: number; artifact: string; learned?: readonly string[]; scope?: string },
): string {
  const missed = m.scout.changed.filter((f) => !m.scout.hits.includes(f));
  return render("comments/post-run-note.md", {
    ...about,
    learned: about.learned?.length ? about.learned.join("; ") : false,
    scope: about.scope ?? false,
    outcome: m.outcome,
    wall: formatDuration(m.wallMs),
    stageTimes: Object.entries(m.stageMs).map(([stage, ms]) => `${stage} ${formatDuration(ms ?? 0)}`).join(", ") || "—",
    scoutTime: formatDuration(Math.round(m.scoutMs)),
    buildAttempts: m.buildAttempts,
    verifyAttempts: m.verifyAttempts,
    firstTry: m.verifyFirstTry ? "passed" : "failed",
    accepted: m.acceptedWithoutEvidence ? `@${m.acceptedWithoutEvidence}` : false,
    reviewRounds: m.reviewRounds,
    reviewFixCommits: m.reviewFixCommits,
    linesChanged: m.linesChanged,
    net: m.netLines >= 0 ? `+${m.netLines}` : String(m.netLines),
    perTarget: Object.entries(m.linesPerTarget).map(([t, n]) => `${t} ${n}`).join(", ") || "no targets configured",
    cost: m.costUsd > 0 ? `$${m.costUsd.toFixed(2)}` : "none reported",
    precision: m.scout.precisionAt5.toFixed(2),
    recall: m.scout.recallAt10.toFixed(2),
    hitCount: m.scout.hits.length,
    changedCount: m.scout.changed.length,
    missed: missed.length ? missed.slice(0, 10).map((f) => `\`${f}\``).join(", ") : false,
  });
}
