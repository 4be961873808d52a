import { createHash } from "node:crypto";
import { zipSync } from "fflate";
import { parse } from "yaml";
import type { GitHubDouble } from "../github-double.js";
import type { DoubleResponse, DoubleUser } from "./model.js";
import { noContent, notFound, ok, paginate, route, unprocessable, type Route } from "./router.js";

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
  workflowId: number;
  display_title: string;
  event: "workflow_dispatch";
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  head_branch: string;
  head_sha: string;
  inputs: Record<string, string>;
  run_number: number;
  actor: DoubleUser;
  created_at: string;
  updated_at: string;
  artifacts: Array<{ id: number; name: string; zip: Uint8Array }>;
  jobs: Array<{ id: number; name: string; conclusion: string; log: string }>;
}

/** What a dispatch asked for: the workflow file, the ref, the inputs, and the run it started. */
export interface DoubleDispatch {
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  runId: number;
}

export interface RunResult {
  conclusion: string;
  /** Artifact name → its files (path → text or bytes), zipped as Actions uploads them. */
  artifacts?: Record<string, Record<string, string | Uint8Array>>;
  jobs?: Array<{ name: string; conclusion: string; log: string }>;
}

interface WorkflowInput {
  required?: boolean;
  default?: unknown;
}

export class ActionsArea {
  readonly runs = new Map<number, DoubleWorkflowRun>();
  readonly dispatches: DoubleDispatch[] = [];
  private nextId = 30_000;

  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("POST", "/actions/workflows/{workflow_id}/dispatches", ({ params, body }) => this.dispatch(params.workflow_id ?? "", body)),
      route("GET", "/actions/runs", ({ query }) => this.listRuns(query)),
      route("GET", "/actions/workflows/{workflow_id}/runs", ({ params, query }) => this.listRuns(query, params.workflow_id ?? "")),
      route("GET", "/actions/runs/{run_id}", ({ params }) => this.getRun(Number(params.run_id))),
      route("POST", "/actions/runs/{run_id}/cancel", ({ params }) => this.cancel(Number(params.run_id))),
      route("GET", "/actions/runs/{run_id}/jobs", ({ params, query }) => this.runJobs(Number(params.run_id), query)),
      route("GET", "/actions/runs/{run_id}/artifacts", ({ params, query }) => this.runArtifacts(Number(params.run_id), query)),
      route("GET", "/actions/jobs/{job_id}", ({ params }) => this.getJob(Number(params.job_id))),
      route("GET", "/actions/jobs/{job_id}/logs", ({ params }) => this.jobLogs(Number(params.job_id))),
      route("GET", "/actions/artifacts/{artifact_id}/{archive_format}", ({ params }) => this.downloadArtifact(Number(params.artifact_id), params.archive_format ?? "")),
    ];
  }

  artifact(id: number): { run: DoubleWorkflowRun; artifact: DoubleWorkflowRun["artifacts"][number] } | undefined {
    for (const run of this.runs.values()) {
      const artifact = run.artifacts.find((a) => a.id === id);
      if (artifact) return { run, artifact };
    }
    return undefined;
  }

  job(id: number): { run: DoubleWorkflowRun; job: DoubleWorkflowRun["jobs"][number] } | undefined {
    for (const run of this.runs.values()) {
      const job = run.jobs.find((j) => j.id === id);
      if (job) return { run, job };
    }
    return undefined;
  }

  /** What a `/_blobs/…` download URL serves: an artifact's zip or a job's log. */
  blob(path: string): { type: string; body: Uint8Array | string } | undefined {
    const artifact = /^artifacts\/(\d+)\.zip$/.exec(path);
    if (artifact) {
      const found = this.artifact(Number(artifact[1]));
      return found && { type: "application/zip", body: found.artifact.zip };
    }
    const log = /^logs\/(\d+)\.txt$/.exec(path);
    const found = log ? this.job(Number(log[1])) : undefined;
    return found && { type: "text/plain; charset=utf-8", body: found.job.log };
  }

  // ---- the runner ----------------------------------------------------------------------

  /**
   * The runner finished: artifacts uploaded, jobs logged; `workflow_job` `completed`
   * per job, then `workflow_run` `completed`, in the order GitHub sends them.
   */
  complete(runId: number, result: RunResult): DoubleWorkflowRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no workflow run ${runId}`);
    const actions = this.d.user("github-actions[bot]", "Bot");
    run.status = "completed";
    run.conclusion = result.conclusion;
    run.updated_at = this.d.now();
    for (const [name, files] of Object.entries(result.artifacts ?? {})) run.artifacts.push({ id: this.nextId++, name, zip: zipFiles(files) });
    for (const job of result.jobs ?? []) {
      const entry = { id: this.nextId++, ...job };
      run.jobs.push(entry);
      this.d.emit("workflow_job", "completed", actions, { workflow_job: this.jobJson(run, entry) });
    }
    this.d.emit("workflow_run", "completed", actions, { workflow_run: this.runJson(run), workflow: this.workflowJson(run.path) });
    return run;
  }

  // ---- shapes --------------------------------------------------------------------------

  /** A stable id per workflow file, as GitHub numbers workflows. */
  workflowId(path: string): number {
    return 100_000 + (Number.parseInt(createHash("sha1").update(path).digest("hex").slice(0, 8), 16) % 900_000);
  }

  private workflowJson(path: string) {
    const { shapes } = this.d;
    const id = this.workflowId(path);
    const source = this.d.git.readFile(`refs/heads/${this.d.defaultBranch}`, path) ?? "";
    return {
      id,
      node_id: `W_kwDO${id}`,
      name: workflowTitles(source, path.split("/").pop() ?? path, {}).name,
      path,
      state: "active",
      created_at: "2024-01-02T03:04:05Z",
      updated_at: "2024-01-02T03:04:05Z",
      url: shapes.api(`/actions/workflows/${id}`),
      html_url: shapes.web(`/blob/${this.d.defaultBranch}/${path}`),
      badge_url: shapes.web(`/workflows/${encodeURIComponent(path.split("/").pop() ?? path)}/badge.svg`),
    };
  }

  runJson(run: DoubleWorkflowRun) {
    const { shapes } = this.d;
    const url = shapes.api(`/actions/runs/${run.id}`);
    const suite = 900_000 + run.id;
    const head = this.d.git.commit(run.head_sha);
    return {
      id: run.id,
      node_id: `WFR_kwDO${run.id}`,
      name: run.name,
      path: run.path,
      display_title: run.display_title,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      head_branch: run.head_branch,
      head_sha: run.head_sha,
      run_number: run.run_number,
      run_attempt: 1,
      workflow_id: run.workflowId,
      check_suite_id: suite,
      check_suite_node_id: `CS_kwDO${suite}`,
      url,
      html_url: shapes.web(`/actions/runs/${run.id}`),
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      check_suite_url: shapes.api(`/check-suites/${suite}`),
      workflow_url: shapes.api(`/actions/workflows/${run.workflowId}`),
      previous_attempt_url: null,
      created_at: run.created_at,
      updated_at: run.updated_at,
      run_started_at: run.created_at,
      pull_requests: [],
      referenced_workflows: [],
      actor: shapes.user(run.actor),
      triggering_actor: shapes.user(run.actor),
      repository: shapes.repository(),
      head_repository: shapes.repository(),
      head_commit: shapes.simpleCommit(head),
    };
  }

  private jobJson(run: DoubleWorkflowRun, job: DoubleWorkflowRun["jobs"][number]) {
    const { shapes } = this.d;
    return {
      id: job.id,
      node_id: `CR_kwDO${job.id}`,
      run_id: run.id,
      run_url: shapes.api(`/actions/runs/${run.id}`),
      run_attempt: 1,
      head_sha: run.head_sha,
      head_branch: run.head_branch,
      workflow_name: run.name,
      name: job.name,
      url: shapes.api(`/actions/jobs/${job.id}`),
      html_url: shapes.web(`/actions/runs/${run.id}/job/${job.id}`),
      check_run_url: shapes.api(`/check-runs/${job.id}`),
      status: "completed",
      conclusion: job.conclusion,
      created_at: run.created_at,
      started_at: run.created_at,
      completed_at: run.updated_at,
      steps: [],
      labels: ["ubuntu-latest"],
      runner_id: 1,
      runner_name: "GitHub Actions 1",
      runner_group_id: 1,
      runner_group_name: "GitHub Actions",
    };
  }

  // ---- routes --------------------------------------------------------------------------

  /**
   * `workflow_dispatch`: the workflow must be known (its file on the default
   * branch, by file name or id: 404 otherwise), and on the ref its file must exist
   * and have the trigger (422 otherwise), and the inputs must be its declared ones.
   */
  private dispatch(workflow: string, body: Record<string, unknown>): DoubleResponse {
    const registry = this.workflows();
    const path = /^\d+$/.test(workflow) ? registry.find((p) => this.workflowId(p) === Number(workflow)) : registry.find((p) => p === `.github/workflows/${workflow}`);
    if (!path) return notFound();
    const ref = String(body.ref ?? "").replace(/^refs\/heads\//, "");
    const sha = this.d.git.refSha(`heads/${ref}`) ?? this.d.git.refSha(`tags/${ref}`);
    if (!sha) return unprocessable(`No ref found for: ${ref}`);
    const source = this.d.git.readFile(sha, path);
    const trigger = source === undefined ? undefined : dispatchTrigger(source);
    if (trigger === undefined) return unprocessable("Workflow does not have 'workflow_dispatch' trigger");
    const given = Object.fromEntries(Object.entries((body.inputs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const unexpected = Object.keys(given).filter((k) => !(k in trigger));
    if (unexpected.length) return unprocessable(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    const missing = Object.entries(trigger).find(([k, spec]) => spec?.required === true && spec.default === undefined && !(k in given));
    if (missing) return unprocessable(`Required input '${missing[0]}' not provided`);
    const inputs = { ...Object.fromEntries(Object.entries(trigger).filter(([, spec]) => spec?.default !== undefined).map(([k, spec]) => [k, String(spec?.default)])), ...given };
    const { name, title } = workflowTitles(source as string, path.split("/").pop() ?? path, inputs);
    const now = this.d.now();
    const run: DoubleWorkflowRun = {
      id: this.nextId++,
      name,
      path,
      workflowId: this.workflowId(path),
      display_title: title,
      event: "workflow_dispatch",
      status: "queued",
      conclusion: null,
      head_branch: ref,
      head_sha: sha,
      inputs,
      run_number: [...this.runs.values()].filter((r) => r.path === path).length + 1,
      actor: this.d.bot,
      created_at: now,
      updated_at: now,
      artifacts: [],
      jobs: [],
    };
    this.runs.set(run.id, run);
    this.dispatches.push({ workflow: path, ref, inputs: given, runId: run.id });
    this.d.emit("workflow_run", "requested", this.d.bot, { workflow_run: this.runJson(run), workflow: this.workflowJson(path) });
    if (body.return_run_details === true) {
      return ok({ workflow_run_id: run.id, run_url: this.d.shapes.api(`/actions/runs/${run.id}`), html_url: this.d.shapes.web(`/actions/runs/${run.id}`) });
    }
    return noContent();
  }

  /** Cancels a queued or running run: 202, then the run completes `cancelled`; 409 once it has completed. */
  private cancel(id: number): DoubleResponse {
    const run = this.runs.get(id);
    if (!run) return notFound();
    if (run.status === "completed") return { status: 409, body: { message: "Cannot cancel a workflow run that is completed.", documentation_url: "https://docs.github.com/rest" } };
    this.complete(id, { conclusion: "cancelled" });
    return { status: 202, body: {} };
  }

  /** Workflow files on the default branch: the ones GitHub knows. */
  private workflows(): string[] {
    const head = this.d.git.refSha(`heads/${this.d.defaultBranch}`);
    if (!head) return [];
    return this.d.git
      .listTree(this.d.git.commit(head).tree)
      .map((e) => e.path)
      .filter((p) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(p));
  }

  /** Newest first; `event`, `branch`, `status` (a status or a conclusion), `actor`, `head_sha`. */
  private listRuns(query: URLSearchParams, workflow?: string): DoubleResponse {
    const registry = this.workflows();
    const path = workflow === undefined ? undefined : /^\d+$/.test(workflow) ? registry.find((p) => this.workflowId(p) === Number(workflow)) : `.github/workflows/${workflow}`;
    const event = query.get("event");
    const branch = query.get("branch");
    const status = query.get("status");
    const actor = query.get("actor");
    const head = query.get("head_sha");
    const runs = [...this.runs.values()]
      .sort((a, b) => b.id - a.id)
      .filter((r) => path === undefined || r.path === path)
      .filter((r) => !event || r.event === event)
      .filter((r) => !branch || r.head_branch === branch)
      .filter((r) => !status || r.status === status || r.conclusion === status)
      .filter((r) => !actor || r.actor.login === actor)
      .filter((r) => !head || r.head_sha === head);
    const page = paginate(runs.map((r) => this.runJson(r)), query, `/repos/${this.d.owner}/${this.d.repo}/actions/${workflow === undefined ? "" : `workflows/${workflow}/`}runs`);
    return { ...page, body: { total_count: runs.length, workflow_runs: page.body } };
  }

  private getRun(id: number): DoubleResponse {
    const run = this.runs.get(id);
    return run ? ok(this.runJson(run)) : notFound();
  }

  private runJobs(id: number, query: URLSearchParams): DoubleResponse {
    const run = this.runs.get(id);
    if (!run) return notFound();
    const page = paginate(run.jobs.map((j) => this.jobJson(run, j)), query, `/repos/${this.d.owner}/${this.d.repo}/actions/runs/${id}/jobs`);
    return { ...page, body: { total_count: run.jobs.length, jobs: page.body } };
  }

  private getJob(id: number): DoubleResponse {
    const found = this.job(id);
    return found ? ok(this.jobJson(found.run, found.job)) : notFound();
  }

  private runArtifacts(id: number, query: URLSearchParams): DoubleResponse {
    const run = this.runs.get(id);
    if (!run) return notFound();
    const { shapes } = this.d;
    const artifacts = run.artifacts.map((a) => ({
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
      name: a.name,
      size_in_bytes: a.zip.length,
      url: shapes.api(`/actions/artifacts/${a.id}`),
      archive_download_url: shapes.api(`/actions/artifacts/${a.id}/zip`),
      expired: false,
      digest: `sha256:${createHash("sha256").update(a.zip).digest("hex")}`,
      created_at: run.updated_at,
      expires_at: new Date(Date.parse(run.updated_at) + 90 * 86_400_000).toISOString(),
      updated_at: run.updated_at,
      workflow_run: { id: run.id, repository_id: 4_242, head_repository_id: 4_242, head_branch: run.head_branch, head_sha: run.head_sha },
    }));
    const page = paginate(artifacts, query, `/repos/${this.d.owner}/${this.d.repo}/actions/runs/${id}/artifacts`);
    return { ...page, body: { total_count: artifacts.length, artifacts: page.body } };
  }

  /** GitHub answers with a redirect to short-lived blob storage; the sandbox server serves that URL. */
  private downloadArtifact(id: number, format: string): DoubleResponse {
    return format === "zip" && this.artifact(id) ? { status: 302, headers: { location: `/_blobs/artifacts/${id}.zip` } } : notFound();
  }

  private jobLogs(id: number): DoubleResponse {
    return this.job(id) ? { status: 302, headers: { location: `/_blobs/logs/${id}.txt` } } : notFound();
  }
}

/** The `workflow_dispatch` trigger's declared inputs, or undefined when the workflow has no such trigger. */
function dispatchTrigger(source: string): Record<string, WorkflowInput | undefined> | undefined {
  let doc: unknown;
  try {
    doc = parse(source);
  } catch {
    return undefined;
  }
  const on = (doc as { on?: unknown } | null)?.on;
  if (on === "workflow_dispatch") return {};
  if (Array.isArray(on)) return on.includes("workflow_dispatch") ? {} : undefined;
  if (typeof on !== "object" || on === null || !("workflow_dispatch" in on)) return undefined;
  const trigger = (on as { workflow_dispatch?: { inputs?: Record<string, WorkflowInput | undefined> } | null }).workflow_dispatch;
  return { ...(trigger?.inputs ?? {}) };
}

/** A workflow file's `name:` and its `run-name:` with `${{ inputs.x }}` filled from the dispatch, as Actions shows them. */
export function workflowTitles(source: string, file: string, inputs: Record<string, string>): { name: string; title: string } {
  const name = /^name:\s*(.+)$/m.exec(source)?.[1]?.trim().replace(/^["']|["']$/g, "") ?? file;
  const runName = /^run-name:\s*(.+)$/m.exec(source)?.[1]?.trim().replace(/^["']|["']$/g, "");
  const title = runName ? runName.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, key: string) => inputs[key] ?? "") : name;
  return { name, title };
}

/** An artifact's files as the zip GitHub serves. */
export function zipFiles(files: Record<string, string | Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, body]) => [path, typeof body === "string" ? new TextEncoder().encode(body) : body])));
}
