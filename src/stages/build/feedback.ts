import type { SignedRecord } from "../../state/records.js";

/**
 * What the last attempts got wrong, for the builder's next prompt: verifier
 * failure summaries and the reasons earlier builds failed, the five most recent,
 * oldest first.
 */
export function feedbackFor(records: readonly SignedRecord[]): Array<{ source: string; text: string }> {
  const feedback: Array<{ source: string; text: string }> = [];
  for (const record of records) {
    if (record.kind === "scope.revise") {
      feedback.push({ source: `@${record.data.by}'s guidance on the plan`, text: record.data.guidance });
    } else if (record.kind === "stage.failed" && record.data.stage === "build") {
      feedback.push({ source: "The previous build attempt failed", text: record.data.reason });
    } else if (record.kind === "review.changes_requested") {
      const inline = record.data.comments.map((c) => `- \`${c.path}${c.line ? `:${c.line}` : ""}\`: ${c.body}`);
      feedback.push({ source: `@${record.data.by} requested changes in a review`, text: [record.data.body, ...inline].filter(Boolean).join("\n") });
    } else if (record.kind === "stage.completed" && record.data.stage === "verify") {
      const output = record.data.output as { verdict?: unknown; summary?: unknown } | undefined;
      if (output?.verdict === "fail" && typeof output.summary === "string") feedback.push({ source: "The verifier failed the last build", text: output.summary });
    }
  }
  return feedback.slice(-5);
}
