import { zipSync } from "fflate";

/**
 * The double's GitHub Actions: workflow runs started by `workflow_dispatch`, their
 * jobs and logs, and the artifacts a run uploads (zips served behind a redirect, as
 * GitHub serves them from blob storage). A test plays the runner: it reads the
 * dispatched inputs and completes the run with the artifacts a workflow would upload.
 */

export interface DoubleWorkflowRun {
  id: number;
  name: string;
  path: string;
  display_title: string;
  event: "workflow_dispatch";
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  head_branch: string;
  head_sha: string;
  inputs: Record<string, string>;
  run_number: number;
  created_at: string;
  updated_at: string;
  artifacts: Array<{ id: number; name: string; zip: Uint8Array }>;
  jobs: Array<{ id: number; name: string; conclusion: string; log: string }>;
}

export class ActionsStore {
  readonly runs = new Map<number, DoubleWorkflowRun>();
  private nextId = 30_000;

  id(): number {
    return this.nextId++;
  }

  artifact(id: number): { run: DoubleWorkflowRun; artifact: DoubleWorkflowRun["artifacts"][number] } | undefined {
    for (const run of this.runs.values()) {
      const artifact = run.artifacts.find((a) => a.id === id);
      if (artifact) return { run, artifact };
    }
    return undefined;
  }

  job(id: number): DoubleWorkflowRun["jobs"][number] | undefined {
    for (const run of this.runs.values()) {
      const job = run.jobs.find((j) => j.id === id);
      if (job) return job;
    }
    return undefined;
  }
}

/** A workflow file's `name:` and its `run-name:` with `${{ inputs.x }}` filled from the dispatch, as Actions shows them. */
export function workflowTitles(source: string, file: string, inputs: Record<string, string>): { name: string; title: string } {
  const name = /^name:\s*(.+)$/m.exec(source)?.[1]?.trim().replace(/^["']|["']$/g, "") ?? file;
  const runName = /^run-name:\s*(.+)$/m.exec(source)?.[1]?.trim().replace(/^["']|["']$/g, "");
  const title = runName ? runName.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, key: string) => inputs[key] ?? "") : name;
  return { name, title };
}

/** An artifact's files as the zip GitHub serves. */
export function zipFiles(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, new TextEncoder().encode(text)])));
}
