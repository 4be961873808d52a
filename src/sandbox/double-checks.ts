/**
 * The double's Checks and commit-status state: check runs (with their output and
 * annotations) and statuses per commit, as GitHub keeps them. The router in
 * github-double.ts answers the REST routes from here and announces changes as
 * `check_run` and `status` webhooks.
 */

export interface DoubleCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
  details_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations: Array<Record<string, unknown>> };
  /** The app that owns it: the factory's, or another (CI). */
  app: { id: number; slug: string; name: string };
}

export interface DoubleStatus {
  id: number;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  target_url: string | null;
  created_at: string;
}

export class CheckStore {
  readonly runs = new Map<number, DoubleCheckRun>();
  readonly statuses: DoubleStatus[] = [];
  private nextId = 7_000;

  create(input: Omit<DoubleCheckRun, "id">): DoubleCheckRun {
    const run = { ...input, id: this.nextId++ };
    this.runs.set(run.id, run);
    return run;
  }

  /** Runs on a commit, newest first, as `GET /commits/{ref}/check-runs` lists them. */
  forSha(sha: string): DoubleCheckRun[] {
    return [...this.runs.values()].filter((r) => r.head_sha === sha).sort((a, b) => b.id - a.id);
  }

  addStatus(input: Omit<DoubleStatus, "id">): DoubleStatus {
    const status = { ...input, id: this.nextId++ };
    this.statuses.push(status);
    return status;
  }

  /** The latest status per context, as the combined status reports them. */
  latestStatuses(sha: string): DoubleStatus[] {
    const latest = new Map<string, DoubleStatus>();
    for (const s of this.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s);
    return [...latest.values()];
  }
}

/** GitHub's combined state: failure beats pending beats success; no statuses is pending. */
export function combinedState(statuses: readonly DoubleStatus[]): "failure" | "pending" | "success" {
  if (statuses.some((s) => s.state === "failure" || s.state === "error")) return "failure";
  if (statuses.length === 0 || statuses.some((s) => s.state === "pending")) return "pending";
  return "success";
}
