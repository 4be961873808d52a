import type { GitHubDouble } from "../github-double.js";
import type { DoubleApp, DoubleResponse, DoubleUser } from "./model.js";
import { created, invalid, notFound, ok, paginate, route, unprocessable, type Route } from "./router.js";

/**
 * Checks and commit statuses, per commit, as GitHub keeps them. A check run
 * belongs to a check suite (one per app and commit); `check_run` `created` and
 * `completed` are announced, and `check_suite` `completed` once every run of the
 * suite has completed (again if a later run reopens it). Statuses are announced
 * as `status`; the combined status takes the latest per context.
 */

export interface DoubleCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
  details_url: string;
  external_id: string;
  output: { title: string | null; summary: string | null; text: string | null; annotations: Array<Record<string, unknown>> };
  /** The app that owns it: the factory's, or another (CI). */
  app: DoubleApp;
  suite: number;
}

export interface DoubleCheckSuite {
  id: number;
  app: DoubleApp;
  head_sha: string;
  head_branch: string | null;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  created_at: string;
  updated_at: string;
}

export interface DoubleStatus {
  id: number;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  target_url: string | null;
  created_at: string;
  creator: DoubleUser;
}

/** The app CI's check runs belong to. */
export const CI_APP: DoubleApp = { id: 15_368, slug: "github-actions", name: "GitHub Actions" };

/** Which conclusion a suite takes from its runs: the first of these that any run has. */
const SUITE_CONCLUSION = ["action_required", "cancelled", "timed_out", "failure", "startup_failure", "stale", "neutral", "success", "skipped"];

export class ChecksArea {
  readonly runs = new Map<number, DoubleCheckRun>();
  readonly suites = new Map<number, DoubleCheckSuite>();
  readonly statuses: DoubleStatus[] = [];
  private nextId = 7_000;

  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("POST", "/check-runs", ({ body }) => this.create(body, this.ownApp(), this.d.bot)),
      route("GET", "/check-runs/{check_run_id}", ({ params }) => this.get(Number(params.check_run_id))),
      route("PATCH", "/check-runs/{check_run_id}", ({ params, body }) => {
        // An app updates only the runs it created (CI's are GitHub Actions').
        const run = this.runs.get(Number(params.check_run_id));
        if (run && run.app.id !== this.ownApp().id) return { status: 403, body: { message: `Invalid app_id \`${this.ownApp().id}\` - check run can only be modified by the GitHub App that created it.`, documentation_url: "https://docs.github.com/rest/checks/runs#update-a-check-run" } };
        return this.update(Number(params.check_run_id), body);
      }),
      route("GET", "/check-runs/{check_run_id}/annotations", ({ params, query }) => this.annotations(Number(params.check_run_id), query)),
      route("GET", "/check-suites/{check_suite_id}", ({ params }) => this.getSuite(Number(params.check_suite_id))),
      route("GET", "/commits/{ref}/check-runs", ({ params, query }) => this.listForRef(params.ref ?? "", query)),
      route("GET", "/commits/{ref}/check-suites", ({ params, query }) => this.suitesForRef(params.ref ?? "", query)),
      route("POST", "/statuses/{sha}", ({ params, body }) => this.createStatus(params.sha ?? "", body, this.d.bot)),
      route("GET", "/commits/{ref}/statuses", ({ params, query }) => this.listStatuses(params.ref ?? "", query)),
      route("GET", "/commits/{ref}/status", ({ params, query }) => this.combinedStatus(params.ref ?? "", query)),
    ];
  }

  /** Runs on a commit, newest first, as `GET /commits/{ref}/check-runs` lists them. */
  forSha(sha: string): DoubleCheckRun[] {
    return [...this.runs.values()].filter((r) => r.head_sha === sha).sort((a, b) => b.id - a.id);
  }

  /** The status checks branch protection requires of `branch` that have not passed on `sha` (a check run's success or a status's). */
  requiredNotPassed(branch: string, sha: string): { expected: string[]; required: string[] } {
    const required = this.d.protection.get(branch) ?? [];
    // A required check passes with success, neutral or skipped (GitHub's rule for check runs); a status only with success.
    const passed = (name: string) =>
      this.forSha(sha).some((r) => r.name === name && ["success", "neutral", "skipped"].includes(r.conclusion ?? "")) || this.latestStatuses(sha).some((st) => st.context === name && st.state === "success");
    return { expected: required.filter((name) => !passed(name)), required };
  }

  /** The latest status per context, as the combined status reports them. */
  latestStatuses(sha: string): DoubleStatus[] {
    const latest = new Map<string, DoubleStatus>();
    for (const s of this.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s);
    return [...latest.values()];
  }

  // ---- actors --------------------------------------------------------------------------

  /** Another app (CI) reports a finished check run: the one it queued on the commit, or a new one. */
  complete(sha: string, name: string, result: { conclusion: string; title?: string; summary?: string; text?: string; annotations?: Array<Record<string, unknown>> }): DoubleCheckRun {
    const output = { title: result.title ?? name, summary: result.summary ?? "", ...(result.text ? { text: result.text } : {}), ...(result.annotations ? { annotations: result.annotations } : {}) };
    const queued = this.forSha(sha).find((r) => r.name === name && r.status !== "completed" && r.app.slug === CI_APP.slug);
    const actor = this.d.user("github-actions[bot]", "Bot");
    if (queued) {
      this.update(queued.id, { conclusion: result.conclusion, output }, actor);
      return queued;
    }
    const response = this.create({ name, head_sha: sha, status: "completed", conclusion: result.conclusion, output }, CI_APP, actor);
    if (response.status !== 201) throw new Error(`cannot complete ${name} on ${sha}: ${JSON.stringify(response.body)}`);
    return this.runs.get((response.body as { id: number }).id) as DoubleCheckRun;
  }

  /** CI queues its check runs on a pushed commit (the double's `ciChecks`), as Actions does on a push. */
  queueCi(sha: string, names: readonly string[]): void {
    for (const name of names) this.create({ name, head_sha: sha, status: "queued" }, CI_APP, this.d.user("github-actions[bot]", "Bot"));
  }

  // ---- shapes --------------------------------------------------------------------------

  private ownApp(): DoubleApp {
    return { id: 1, slug: this.d.appSlug, name: "Software Factory" };
  }

  private pullRequests(sha: string) {
    const { shapes } = this.d;
    const repo = { id: 4_242, url: shapes.api(), name: this.d.repo };
    return this.d
      .pulls()
      .filter((p) => p.state === "open" && p.pull && this.d.pullApi.headSha(p.pull) === sha)
      .map((p) => ({
        id: 500_000 + p.number,
        number: p.number,
        url: shapes.api(`/pulls/${p.number}`),
        head: { ref: p.pull?.head ?? "", sha, repo },
        base: { ref: p.pull?.base ?? "", sha: p.pull ? this.d.pullApi.baseSha(p.pull) : "", repo },
      }));
  }

  suiteJson(s: DoubleCheckSuite) {
    const { shapes } = this.d;
    const runs = [...this.runs.values()].filter((r) => r.suite === s.id);
    const head = this.d.git.commit(s.head_sha);
    return {
      id: s.id,
      node_id: `CS_kwDO${s.id}`,
      head_branch: s.head_branch,
      head_sha: s.head_sha,
      status: s.status,
      conclusion: s.conclusion,
      url: shapes.api(`/check-suites/${s.id}`),
      before: head.parents[0] ?? "0".repeat(40),
      after: s.head_sha,
      pull_requests: this.pullRequests(s.head_sha),
      app: shapes.app(s.app),
      repository: shapes.repository(),
      created_at: s.created_at,
      updated_at: s.updated_at,
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: runs.length,
      check_runs_url: shapes.api(`/check-suites/${s.id}/check-runs`),
      head_commit: shapes.simpleCommit(head),
    };
  }

  runJson(r: DoubleCheckRun) {
    const { shapes } = this.d;
    const suite = this.suites.get(r.suite) as DoubleCheckSuite;
    return {
      id: r.id,
      node_id: `CR_kwDO${r.id}`,
      head_sha: r.head_sha,
      external_id: r.external_id,
      url: shapes.api(`/check-runs/${r.id}`),
      html_url: shapes.web(`/runs/${r.id}`),
      details_url: r.details_url,
      status: r.status,
      conclusion: r.conclusion,
      started_at: r.started_at,
      completed_at: r.completed_at,
      output: { title: r.output.title, summary: r.output.summary, text: r.output.text, annotations_count: r.output.annotations.length, annotations_url: shapes.api(`/check-runs/${r.id}/annotations`) },
      name: r.name,
      check_suite: { id: suite.id, head_branch: suite.head_branch, head_sha: suite.head_sha, status: suite.status, conclusion: suite.conclusion, url: shapes.api(`/check-suites/${suite.id}`), before: null, after: suite.head_sha, pull_requests: this.pullRequests(suite.head_sha), app: shapes.app(suite.app), created_at: suite.created_at, updated_at: suite.updated_at },
      app: shapes.app(r.app),
      pull_requests: this.pullRequests(r.head_sha),
    };
  }

  statusJson(s: DoubleStatus) {
    const { shapes } = this.d;
    return {
      url: shapes.api(`/statuses/${s.sha}`),
      avatar_url: shapes.user(s.creator).avatar_url,
      id: s.id,
      node_id: `SC_kwDO${s.id}`,
      state: s.state,
      description: s.description,
      target_url: s.target_url,
      context: s.context,
      created_at: s.created_at,
      updated_at: s.created_at,
      creator: shapes.user(s.creator),
    };
  }

  // ---- check runs ----------------------------------------------------------------------

  /** The app's suite on the commit; a new one names the branch at that commit (a feature branch before the default). */
  private suiteFor(app: DoubleApp, sha: string): DoubleCheckSuite {
    const found = [...this.suites.values()].find((s) => s.app.id === app.id && s.head_sha === sha);
    if (found) return found;
    const branches = [...this.d.refs].filter(([ref, head]) => ref.startsWith("heads/") && head === sha).map(([ref]) => ref.slice("heads/".length));
    const now = this.d.now();
    const suite: DoubleCheckSuite = {
      id: this.nextId++,
      app,
      head_sha: sha,
      head_branch: branches.find((b) => b !== this.d.defaultBranch) ?? branches[0] ?? null,
      status: "queued",
      conclusion: null,
      created_at: now,
      updated_at: now,
    };
    this.suites.set(suite.id, suite);
    return suite;
  }

  private create(body: Record<string, unknown>, app: DoubleApp, sender: DoubleUser): DoubleResponse {
    const sha = String(body.head_sha ?? "");
    if (!this.d.git.hasCommit(sha)) return unprocessable(`No commit found for SHA: ${sha}`);
    const output = (body.output ?? {}) as Record<string, unknown>;
    const oversized = outputTooLarge(output);
    if (oversized) return oversized;
    const status = body.conclusion ? "completed" : ((body.status as DoubleCheckRun["status"] | undefined) ?? "queued");
    if (status === "completed" && typeof body.conclusion !== "string") return unprocessable("Invalid request.\n\nconclusion is required when status is completed.");
    const suite = this.suiteFor(app, sha);
    const now = this.d.now();
    const id = this.nextId++;
    const run: DoubleCheckRun = {
      id,
      name: String(body.name ?? ""),
      head_sha: sha,
      status,
      conclusion: typeof body.conclusion === "string" ? body.conclusion : null,
      started_at: typeof body.started_at === "string" ? body.started_at : now,
      completed_at: status === "completed" ? (typeof body.completed_at === "string" ? body.completed_at : now) : null,
      // Without one, GitHub links the run's own page.
      details_url: typeof body.details_url === "string" ? body.details_url : this.d.shapes.web(`/runs/${id}`),
      external_id: typeof body.external_id === "string" ? body.external_id : "",
      output: {
        title: typeof output.title === "string" ? output.title : null,
        summary: typeof output.summary === "string" ? output.summary : null,
        text: typeof output.text === "string" ? output.text : null,
        annotations: Array.isArray(output.annotations) ? (output.annotations as Array<Record<string, unknown>>) : [],
      },
      app,
      suite: suite.id,
    };
    this.runs.set(run.id, run);
    this.settleSuite(suite, sender, false);
    this.d.emit("check_run", "created", sender, { check_run: this.runJson(run) });
    if (run.status === "completed") this.completed(run, sender);
    return created(this.runJson(run));
  }

  private update(id: number, body: Record<string, unknown>, sender: DoubleUser = this.d.bot): DoubleResponse {
    const run = this.runs.get(id);
    if (!run) return notFound();
    const oversized = outputTooLarge((body.output ?? {}) as Record<string, unknown>);
    if (oversized) return oversized;
    const wasCompleted = run.status === "completed";
    if (typeof body.name === "string") run.name = body.name;
    if (typeof body.details_url === "string") run.details_url = body.details_url;
    if (typeof body.external_id === "string") run.external_id = body.external_id;
    if (typeof body.status === "string") run.status = body.status as DoubleCheckRun["status"];
    if (typeof body.conclusion === "string") {
      run.conclusion = body.conclusion;
      run.status = "completed";
    }
    if (run.status === "completed" && run.conclusion === null) return unprocessable("Invalid request.\n\nconclusion is required when status is completed.");
    if (run.status === "completed") run.completed_at ??= typeof body.completed_at === "string" ? body.completed_at : this.d.now();
    const output = body.output as Record<string, unknown> | undefined;
    if (output) {
      if (typeof output.title === "string") run.output.title = output.title;
      if (typeof output.summary === "string") run.output.summary = output.summary;
      if (typeof output.text === "string") run.output.text = output.text;
      // Annotations accumulate across updates, 50 per request, as GitHub adds them.
      if (Array.isArray(output.annotations)) run.output.annotations.push(...(output.annotations as Array<Record<string, unknown>>));
    }
    if (!wasCompleted && run.status === "completed") this.completed(run, sender);
    else this.settleSuite(this.suites.get(run.suite) as DoubleCheckSuite, sender, false);
    return ok(this.runJson(run));
  }

  /** A run finished: `check_run` `completed`, then the suite's `completed` if it was the last. */
  private completed(run: DoubleCheckRun, sender: DoubleUser): void {
    this.d.emit("check_run", "completed", sender, { check_run: this.runJson(run) });
    this.settleSuite(this.suites.get(run.suite) as DoubleCheckSuite, sender, true);
  }

  /**
   * The suite's status and conclusion from its latest run per name (a re-run
   * replaces the one before); `announce` (a run just completed) sends
   * `check_suite` `completed` when that made every run complete.
   */
  private settleSuite(suite: DoubleCheckSuite, sender: DoubleUser, announce: boolean): void {
    const runs = [...this.runs.values()].filter((r) => r.suite === suite.id).sort((a, b) => b.id - a.id).filter((r, i, all) => all.findIndex((x) => x.name === r.name) === i);
    const done = runs.length > 0 && runs.every((r) => r.status === "completed");
    suite.status = done ? "completed" : runs.some((r) => r.status !== "queued") ? "in_progress" : "queued";
    suite.conclusion = done ? (SUITE_CONCLUSION.find((c) => runs.some((r) => r.conclusion === c)) ?? "neutral") : null;
    suite.updated_at = this.d.now();
    if (announce && done) this.d.emit("check_suite", "completed", sender, { check_suite: this.suiteJson(suite) });
  }

  private get(id: number): DoubleResponse {
    const run = this.runs.get(id);
    return run ? ok(this.runJson(run)) : notFound();
  }

  private getSuite(id: number): DoubleResponse {
    const suite = this.suites.get(id);
    return suite ? ok(this.suiteJson(suite)) : notFound();
  }

  private annotations(id: number, query: URLSearchParams): DoubleResponse {
    const run = this.runs.get(id);
    if (!run) return notFound();
    const list = run.output.annotations.map((a) => ({
      path: a.path,
      blob_href: this.d.shapes.web(`/blob/${run.head_sha}/${String(a.path)}`),
      start_line: a.start_line,
      end_line: a.end_line ?? a.start_line,
      start_column: a.start_column ?? null,
      end_column: a.end_column ?? null,
      annotation_level: a.annotation_level ?? null,
      title: a.title ?? null,
      message: a.message ?? null,
      raw_details: a.raw_details ?? null,
    }));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/check-runs/${id}/annotations`);
  }

  /** `check_name`, `status` and `filter` (`latest`, the default: the newest run per name; or `all`), as GitHub filters. */
  private listForRef(ref: string, query: URLSearchParams): DoubleResponse {
    const sha = this.d.resolveCommit(ref);
    if (!sha) return unprocessable(`No commit found for SHA: ${ref}`);
    let runs = this.forSha(sha);
    const name = query.get("check_name");
    const status = query.get("status");
    const appId = query.get("app_id");
    if (name) runs = runs.filter((r) => r.name === name);
    if (status) runs = runs.filter((r) => r.status === status);
    if (appId) runs = runs.filter((r) => String(r.app.id) === appId);
    if (query.get("filter") !== "all") runs = runs.filter((r, i, all) => all.findIndex((x) => x.name === r.name && x.app.id === r.app.id) === i);
    const page = paginate(runs.map((r) => this.runJson(r)), query, `/repos/${this.d.owner}/${this.d.repo}/commits/${ref}/check-runs`);
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }

  private suitesForRef(ref: string, query: URLSearchParams): DoubleResponse {
    const sha = this.d.resolveCommit(ref);
    if (!sha) return unprocessable(`No commit found for SHA: ${ref}`);
    const name = query.get("check_name");
    const appId = query.get("app_id");
    const suites = [...this.suites.values()]
      .filter((s) => s.head_sha === sha)
      .filter((s) => !appId || String(s.app.id) === appId)
      .filter((s) => !name || [...this.runs.values()].some((r) => r.suite === s.id && r.name === name));
    const page = paginate(suites.map((s) => this.suiteJson(s)), query, `/repos/${this.d.owner}/${this.d.repo}/commits/${ref}/check-suites`);
    return { ...page, body: { total_count: suites.length, check_suites: page.body } };
  }

  // ---- statuses ------------------------------------------------------------------------

  createStatus(sha: string, body: Record<string, unknown>, by: DoubleUser): DoubleResponse {
    if (!this.d.git.hasCommit(sha)) return unprocessable(`No commit found for SHA: ${sha}`);
    const state = String(body.state ?? "") as DoubleStatus["state"];
    const status: DoubleStatus = {
      id: this.nextId++,
      sha,
      context: typeof body.context === "string" ? body.context : "default",
      state,
      description: typeof body.description === "string" ? body.description : null,
      target_url: typeof body.target_url === "string" ? body.target_url : null,
      created_at: this.d.now(),
      creator: by,
    };
    this.statuses.push(status);
    const { shapes } = this.d;
    const branches = [...this.d.refs]
      .filter(([ref, head]) => ref.startsWith("heads/") && head === sha)
      .map(([ref]) => ({ name: ref.slice("heads/".length), commit: { sha, url: shapes.api(`/commits/${sha}`) }, protected: false }));
    this.d.emit("status", undefined, by, {
      id: status.id,
      sha,
      name: `${this.d.owner}/${this.d.repo}`,
      avatar_url: shapes.user(by).avatar_url,
      target_url: status.target_url,
      context: status.context,
      description: status.description,
      state,
      commit: shapes.commit(this.d.git.commit(sha), (login, type) => this.d.user(login, type)),
      branches,
      created_at: status.created_at,
      updated_at: status.created_at,
    });
    return created(this.statusJson(status));
  }

  /** Every status on a commit, newest first. */
  private listStatuses(ref: string, query: URLSearchParams): DoubleResponse {
    const sha = this.d.resolveCommit(ref);
    if (!sha) return notFound();
    const list = this.statuses.filter((s) => s.sha === sha).reverse().map((s) => this.statusJson(s));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/commits/${ref}/statuses`);
  }

  private combinedStatus(ref: string, query: URLSearchParams): DoubleResponse {
    const sha = this.d.resolveCommit(ref);
    if (!sha) return unprocessable(`No commit found for SHA: ${ref}`);
    const statuses = this.latestStatuses(sha);
    const { shapes } = this.d;
    const page = paginate(statuses, query, `/repos/${this.d.owner}/${this.d.repo}/commits/${ref}/status`);
    return {
      ...page,
      body: {
        state: combinedState(statuses),
        sha,
        total_count: statuses.length,
        statuses: (page.body as DoubleStatus[]).map((s) => {
          const { creator: _creator, ...simple } = this.statusJson(s);
          return simple;
        }),
        repository: shapes.repository(),
        commit_url: shapes.api(`/commits/${sha}`),
        url: shapes.api(`/commits/${sha}/status`),
      },
    };
  }
}

/** GitHub's combined state: failure beats pending beats success; no statuses is pending. */
export function combinedState(statuses: readonly DoubleStatus[]): "failure" | "pending" | "success" {
  if (statuses.some((s) => s.state === "failure" || s.state === "error")) return "failure";
  if (statuses.length === 0 || statuses.some((s) => s.state === "pending")) return "pending";
  return "success";
}

/** GitHub counts a check run's summary and text in UTF-8 bytes, 65,535 at most each (a character limit would pass 30,000 "✓"). */
function outputTooLarge(output: Record<string, unknown>): DoubleResponse | undefined {
  for (const field of ["summary", "text"] as const) {
    const value = output[field];
    if (typeof value === "string" && Buffer.byteLength(value) > 65_535) return invalid("CheckRun", field, "custom", `${field} exceeds a maximum bytesize of 65535`);
  }
  return undefined;
}
