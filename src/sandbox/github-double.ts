import { createHash } from "node:crypto";
import { ActionsStore, workflowTitles, zipFiles, type DoubleWorkflowRun } from "./double-actions.js";
import { CheckStore, combinedState, type DoubleCheckRun, type DoubleStatus } from "./double-checks.js";
import { GitRepo, type CommitInfo } from "./git-repo.js";

/**
 * A stateful stand-in for the parts of GitHub's REST API the app uses, as a plain
 * router: `(method, path, body) → response`. Tests put it behind nock; the sandbox
 * server puts it behind HTTP. It answers the way GitHub does, including the 422s
 * the app relies on ("already exists", "no commits between"). Branches, commits and
 * file contents live in a real bare git repository; every change, by a person or
 * by the app, is reported to `onEvent` as the webhook GitHub would send.
 */

export interface DoubleUser {
  login: string;
  id: number;
  type: "User" | "Bot";
}

export interface DoubleComment {
  id: number;
  node_id: string;
  body: string;
  user: DoubleUser;
  created_at: string;
  updated_at: string;
  issue: number;
  reactions: Array<{ content: string; user: string }>;
}

export interface DoubleIssue {
  number: number;
  node_id: string;
  title: string;
  body: string | null;
  state: "open" | "closed";
  user: DoubleUser;
  labels: string[];
  created_at: string;
  updated_at: string;
  pinned: boolean;
  pull?: { head: string; base: string; draft: boolean; headSha: string };
}

export interface DoubleRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Lower-case names; `accept` selects raw file contents. */
  headers?: Record<string, string | undefined>;
}

export interface DoubleResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type DoubleCommit = CommitInfo;

/** A change GitHub would announce with a webhook: `name` is the event, `payload` its body. */
export interface DoubleEvent {
  name: string;
  payload: Record<string, unknown>;
}

interface Label {
  name: string;
  color: string;
  description: string | null;
}

const BOT_ID = 900_001;
/** The app CI's check runs belong to. */
const CI_APP = { id: 15_368, slug: "github-actions", name: "GitHub Actions" };

export class GitHubDouble {
  readonly owner: string;
  readonly repo: string;
  readonly bot: DoubleUser;
  readonly appSlug: string;
  readonly defaultBranch: string;
  readonly git: GitRepo;
  readonly installationId = 1;
  issues = new Map<number, DoubleIssue>();
  comments = new Map<number, DoubleComment>();
  labels = new Map<string, Label>();
  permissions = new Map<string, string>();
  /** Check runs another app (CI) starts, queued, on every push to a branch other than the default. */
  ciChecks: string[] = [];
  /** Workflow runs, their jobs and artifacts. */
  readonly actions = new ActionsStore();
  /** Check runs and commit statuses, per commit. */
  readonly checks = new CheckStore();
  /** Installation tokens the double has issued: git over HTTP accepts only these. */
  tokens = new Set<string>();
  /** Receives every change as the webhook GitHub would send. */
  onEvent: (event: DoubleEvent) => void = () => {};
  /** Per `METHOD /route/template` (numbers and names folded to `:x`), for request-cost figures. */
  counts = new Map<string, number>();
  /** Requests no route answered: a test that sees one is exercising something the double lacks. */
  unrouted: string[] = [];
  private nextNumber = 1;
  private nextCommentId = 1_000;
  private clock: number;

  constructor(
    options: { owner?: string; repo?: string; appSlug?: string; defaultBranch?: string; files?: Record<string, string>; now?: Date } = {},
  ) {
    this.owner = options.owner ?? "octo-org";
    this.repo = options.repo ?? "widgets";
    this.appSlug = options.appSlug ?? "software-factory";
    this.defaultBranch = options.defaultBranch ?? "main";
    this.bot = { login: `${this.appSlug}[bot]`, id: BOT_ID, type: "Bot" };
    this.clock = (options.now ?? new Date()).getTime();
    this.git = GitRepo.create({
      owner: this.owner,
      repo: this.repo,
      defaultBranch: this.defaultBranch,
      files: options.files ?? { "README.md": `# ${this.repo}\n` },
    });
  }

  /** Removes the repository from disk. */
  close(): void {
    this.git.remove();
  }

  /** `heads/<branch>` → sha, read from git. */
  get refs(): Map<string, string> {
    return this.git.refs();
  }

  // ---- actor API: what people do ------------------------------------------------

  user(login: string, type: "User" | "Bot" = "User"): DoubleUser {
    return { login, id: 10_000 + [...login].reduce((a, c) => a + c.charCodeAt(0), 0), type };
  }

  openIssue(author: string, title: string, body: string | null, labels: string[] = []): DoubleIssue {
    const issue = this.newIssue(this.user(author), title, body, labels);
    this.emit("issues", "opened", issue.user, { issue: this.issueJson(issue) });
    return issue;
  }

  private newIssue(author: DoubleUser, title: string, body: string | null, labels: string[] = []): DoubleIssue {
    const issue: DoubleIssue = {
      number: this.nextNumber++,
      node_id: `I_${this.nextNumber}`,
      title,
      body,
      state: "open",
      user: author,
      labels: [...labels],
      created_at: this.now(),
      updated_at: this.now(),
      pinned: false,
    };
    this.issues.set(issue.number, issue);
    return issue;
  }

  addLabel(issue: number, name: string, by: DoubleUser = this.user("maintainer")): void {
    this.ensureLabel(name);
    const target = this.mustIssue(issue);
    if (target.labels.includes(name)) return;
    target.labels.push(name);
    this.emitIssue(target, "labeled", by, { label: this.labelJson(name) });
  }

  /** A person edits an issue's body. */
  editIssue(issue: number, body: string, by?: DoubleUser): void {
    const target = this.mustIssue(issue);
    const from = target.body ?? "";
    target.body = body;
    target.updated_at = this.now();
    this.emitIssue(target, "edited", by ?? target.user, { changes: { body: { from } } });
  }

  /** A person closes an issue or pull request. */
  closeIssue(issue: number, by: DoubleUser = this.user("maintainer")): void {
    const target = this.mustIssue(issue);
    target.state = "closed";
    target.updated_at = this.now();
    this.emitIssue(target, "closed", by);
  }

  postComment(issue: number, author: DoubleUser, body: string): DoubleComment {
    this.mustIssue(issue);
    const comment: DoubleComment = {
      id: this.nextCommentId++,
      node_id: `IC_${this.nextCommentId}`,
      body,
      user: author,
      created_at: this.now(),
      updated_at: this.now(),
      issue,
      reactions: [],
    };
    this.comments.set(comment.id, comment);
    this.emit("issue_comment", "created", author, { issue: this.issueJson(this.mustIssue(issue)), comment: this.commentJson(comment) });
    return comment;
  }

  editComment(id: number, body: string, by?: DoubleUser): void {
    const comment = this.comments.get(id);
    if (!comment) throw new Error(`no comment ${id}`);
    const from = comment.body;
    comment.body = body;
    comment.updated_at = this.now();
    this.emit("issue_comment", "edited", by ?? comment.user, {
      issue: this.issueJson(this.mustIssue(comment.issue)),
      comment: this.commentJson(comment),
      changes: { body: { from } },
    });
  }

  commentsOn(issue: number): DoubleComment[] {
    return [...this.comments.values()].filter((c) => c.issue === issue).sort((a, b) => a.id - b.id);
  }

  pulls(): DoubleIssue[] {
    return [...this.issues.values()].filter((i) => i.pull !== undefined);
  }

  /** Commits on `branch` that are not on the default branch, oldest first. */
  commitsAhead(branch: string): DoubleCommit[] {
    if (!this.git.refSha(`heads/${branch}`)) return [];
    return this.git.commitsBetween(`refs/heads/${this.defaultBranch}`, `refs/heads/${branch}`);
  }

  /** A person commits a file to the default branch. */
  writeFile(path: string, content: string): void {
    this.git.commitFiles(this.defaultBranch, { [path]: content }, `Update ${path}`);
  }

  /** Another app (CI) reports a finished check run on a commit. */
  completeCheck(sha: string, name: string, result: { conclusion: string; title?: string; summary?: string; text?: string; annotations?: Array<Record<string, unknown>> }): DoubleCheckRun {
    const output = { title: result.title ?? name, summary: result.summary ?? "", ...(result.text ? { text: result.text } : {}), ...(result.annotations ? { annotations: result.annotations } : {}) };
    // A run CI queued for this commit finishes; otherwise CI reports a new, finished one.
    const queued = this.checks.forSha(sha).find((r) => r.name === name && r.status !== "completed" && r.app.slug === CI_APP.slug);
    if (queued) {
      queued.status = "completed";
      queued.conclusion = result.conclusion;
      queued.completed_at = this.now();
      queued.output = { title: output.title, summary: output.summary, text: result.text ?? null, annotations: result.annotations ?? [] };
      this.emit("check_run", "completed", this.user("github-actions[bot]", "Bot"), { check_run: this.checkRunJson(queued) });
      return queued;
    }
    const response = this.createCheckRun(
      { name, head_sha: sha, status: "completed", conclusion: result.conclusion, output: { title: result.title ?? name, summary: result.summary ?? "", ...(result.text ? { text: result.text } : {}), ...(result.annotations ? { annotations: result.annotations } : {}) } },
      CI_APP,
      this.user("github-actions[bot]", "Bot"),
    );
    return this.checks.runs.get((response.body as { id: number }).id) as DoubleCheckRun;
  }

  /** Another service sets a commit status. */
  setStatus(sha: string, context: string, state: DoubleStatus["state"], description?: string): void {
    this.createStatus(sha, { context, state, ...(description ? { description } : {}) }, this.user("ci-bot", "Bot"));
  }

  /** A person commits files to a branch and pushes: `push`, and `synchronize` for a PR on it. */
  push(branch: string, files: Record<string, string>, message: string, by = "maintainer"): string {
    const before = this.refs;
    const sha = this.git.commitFiles(branch, files, message);
    this.refsPushed(before, by);
    return sha;
  }

  tick(ms: number): void {
    this.clock += ms;
  }

  // ---- the REST router ------------------------------------------------------------

  handle(request: DoubleRequest): DoubleResponse {
    const route = this.match(request);
    const key = `${request.method} ${route?.template ?? request.path}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (!route) {
      this.unrouted.push(`${request.method} ${request.path}`);
      return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
    }
    return route.run();
  }

  private match(request: DoubleRequest): { template: string; run: () => DoubleResponse } | undefined {
    const { method, query } = request;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const path = request.path.replace(/^\/api\/v3/, "");
    if (method === "GET" && path === "/app") {
      return { template: "/app", run: () => ok({ id: 1, slug: this.appSlug, name: "Software Factory", owner: this.user(this.owner) }) };
    }
    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      const expires = new Date(this.clock + 3_600_000).toISOString();
      return {
        template: "/app/installations/{installation_id}/access_tokens",
        run: () => {
          const token = `ghs_${sha1(`token:${this.tokens.size}:${this.clock}`).slice(0, 36)}`;
          this.tokens.add(token);
          return created({ token, expires_at: expires, permissions: {}, repository_selection: "all" });
        },
      };
    }
    if (method === "POST" && path === "/graphql") return { template: "/graphql", run: () => this.graphql(body) };
    const prefix = `/repos/${this.owner}/${this.repo}`;
    const other = /^\/repos\/[^/]+\/[^/]+\//.test(path) && !path.startsWith(`${prefix}/`);
    // Another repository of the owner (Probot reads config from `<owner>/.github`): not in this double.
    if (other) return { template: path.replace(/^\/repos\/[^/]+\/([^/]+)\/contents\/.*$/, "/repos/{owner}/$1/contents/{path}"), run: () => notFound() };
    if (!path.startsWith(`${prefix}/`)) return undefined;
    const rest = path.slice(prefix.length);
    const seg = rest.split("/").map(decodeURIComponent);
    const t = (template: string, run: () => DoubleResponse) => ({ template: `/repos/{owner}/{repo}${template}`, run });

    if (method === "GET" && seg[1] === "contents") {
      const raw = /\.raw/.test(request.headers?.accept ?? "");
      return t("/contents/{path}", () => this.getContent(seg.slice(2).join("/"), raw, query.get("ref") ?? this.defaultBranch));
    }
    if (seg[1] === "issues" && seg[2] === "comments" && seg[3]) {
      const id = Number(seg[3]);
      if (method === "PATCH" && seg.length === 4) return t("/issues/comments/{comment_id}", () => this.updateComment(id, body));
      if (method === "DELETE" && seg.length === 4) return t("/issues/comments/{comment_id}", () => this.deleteComment(id));
      if (method === "POST" && seg[4] === "reactions") return t("/issues/comments/{comment_id}/reactions", () => this.react(id, body));
    }
    if (seg[1] === "issues" && seg[2] && /^\d+$/.test(seg[2])) {
      const n = Number(seg[2]);
      if (seg.length === 3 && method === "GET") return t("/issues/{issue_number}", () => this.getIssue(n));
      if (seg.length === 3 && method === "PATCH") return t("/issues/{issue_number}", () => this.updateIssue(n, body));
      if (seg[3] === "comments" && method === "GET") return t("/issues/{issue_number}/comments", () => this.listComments(n, query));
      if (seg[3] === "comments" && method === "POST") return t("/issues/{issue_number}/comments", () => this.createComment(n, body));
      if (seg[3] === "labels" && seg.length === 4 && method === "GET") return t("/issues/{issue_number}/labels", () => this.issueLabels(n));
      if (seg[3] === "labels" && seg.length === 4 && method === "POST") return t("/issues/{issue_number}/labels", () => this.addLabels(n, body));
      if (seg[3] === "labels" && seg[4] && method === "DELETE") return t("/issues/{issue_number}/labels/{name}", () => this.removeLabel(n, seg[4] ?? ""));
    }
    if (rest === "/issues" && method === "GET") return t("/issues", () => this.listIssues(query));
    if (rest === "/issues" && method === "POST") return t("/issues", () => this.createIssue(body));
    if (rest === "/labels" && method === "POST") return t("/labels", () => this.createLabel(body));
    if (seg[1] === "branches" && seg[2] && method === "GET") return t("/branches/{branch}", () => this.getBranch(seg.slice(2).join("/")));
    if (rest === "/git/commits" && method === "POST") return t("/git/commits", () => this.createCommit(body));
    if (seg[1] === "git" && seg[2] === "trees" && seg[3] && method === "GET") return t("/git/trees/{tree_sha}", () => this.getTree(seg[3] ?? "", query.get("recursive") !== null));
    if (seg[1] === "git" && seg[2] === "blobs" && seg[3] && method === "GET") return t("/git/blobs/{file_sha}", () => this.getBlob(seg[3] ?? ""));
    if (rest === "/commits" && method === "GET") return t("/commits", () => this.listCommits(query));
    if (seg[1] === "commits" && seg[2] && seg.length === 3 && method === "GET") return t("/commits/{ref}", () => this.getCommit(seg[2] ?? ""));
    if (rest === "/git/refs" && method === "POST") return t("/git/refs", () => this.createRef(body));
    if (rest === "/pulls" && method === "POST") return t("/pulls", () => this.createPull(body));
    if (rest === "/pulls" && method === "GET") return t("/pulls", () => this.listPulls(query));
    if (seg[1] === "pulls" && seg[2] && seg[3] === "files" && method === "GET") return t("/pulls/{pull_number}/files", () => this.pullFiles(Number(seg[2]), query));
    if (seg[1] === "pulls" && seg[2] && seg.length === 3 && method === "GET") return t("/pulls/{pull_number}", () => this.getPull(Number(seg[2])));
    if (seg[1] === "actions" && seg[2] === "workflows" && seg[3] && seg[4] === "dispatches" && method === "POST") {
      return t("/actions/workflows/{workflow_id}/dispatches", () => this.dispatchWorkflow(seg[3] ?? "", body));
    }
    if (seg[1] === "actions" && seg[2] === "runs" && seg[3] && seg.length === 4 && method === "GET") return t("/actions/runs/{run_id}", () => this.getRun(Number(seg[3])));
    if (seg[1] === "actions" && seg[2] === "runs" && seg[3] && seg[4] === "artifacts" && method === "GET") return t("/actions/runs/{run_id}/artifacts", () => this.runArtifacts(Number(seg[3])));
    if (seg[1] === "actions" && seg[2] === "artifacts" && seg[3] && seg[4] && method === "GET") return t("/actions/artifacts/{artifact_id}/{archive_format}", () => this.downloadArtifact(Number(seg[3])));
    if (seg[1] === "actions" && seg[2] === "jobs" && seg[3] && seg[4] === "logs" && method === "GET") return t("/actions/jobs/{job_id}/logs", () => this.jobLogs(Number(seg[3])));
    if (rest === "/check-runs" && method === "POST") return t("/check-runs", () => this.createCheckRun(body));
    if (seg[1] === "check-runs" && seg[2] && seg.length === 3 && method === "PATCH") return t("/check-runs/{check_run_id}", () => this.updateCheckRun(Number(seg[2]), body));
    if (seg[1] === "check-runs" && seg[2] && seg.length === 3 && method === "GET") return t("/check-runs/{check_run_id}", () => this.getCheckRun(Number(seg[2])));
    if (seg[1] === "check-runs" && seg[3] === "annotations" && method === "GET") return t("/check-runs/{check_run_id}/annotations", () => this.checkAnnotations(Number(seg[2]), query));
    if (seg[1] === "commits" && seg[2] && seg[3] === "check-runs" && method === "GET") return t("/commits/{ref}/check-runs", () => this.listCheckRuns(seg[2] ?? "", query));
    if (seg[1] === "commits" && seg[2] && seg[3] === "status" && method === "GET") return t("/commits/{ref}/status", () => this.combinedStatus(seg[2] ?? ""));
    if (seg[1] === "statuses" && seg[2] && method === "POST") return t("/statuses/{sha}", () => this.createStatus(seg[2] ?? "", body, this.bot));
    if (seg[1] === "collaborators" && seg[3] === "permission" && method === "GET") {
      return t("/collaborators/{username}/permission", () => this.permission(seg[2] ?? ""));
    }
    return undefined;
  }

  // ---- route implementations --------------------------------------------------------

  private runJson(run: DoubleWorkflowRun) {
    const api = `https://api.github.com/repos/${this.owner}/${this.repo}`;
    return {
      id: run.id,
      node_id: `WFR_${run.id}`,
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
      workflow_id: 161_335,
      check_suite_id: 1,
      url: `${api}/actions/runs/${run.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/actions/runs/${run.id}`,
      jobs_url: `${api}/actions/runs/${run.id}/jobs`,
      logs_url: `${api}/actions/runs/${run.id}/logs`,
      artifacts_url: `${api}/actions/runs/${run.id}/artifacts`,
      created_at: run.created_at,
      updated_at: run.updated_at,
      run_started_at: run.created_at,
      pull_requests: [],
      actor: this.bot,
      triggering_actor: this.bot,
      repository: this.repositoryJson(),
      head_repository: this.repositoryJson(),
      head_commit: { id: run.head_sha, tree_id: this.git.commit(run.head_sha).tree, message: this.git.commit(run.head_sha).message, timestamp: run.created_at, author: null, committer: null },
    };
  }

  /** Workflow runs, newest first; `dispatches` are what the app sent. */
  workflowRuns(): DoubleWorkflowRun[] {
    return [...this.actions.runs.values()].sort((a, b) => b.id - a.id);
  }

  private dispatchWorkflow(workflow: string, body: Record<string, unknown>): DoubleResponse {
    const ref = String(body.ref ?? "").replace(/^refs\/heads\//, "");
    const sha = this.git.refSha(`heads/${ref}`);
    if (!sha) return { status: 422, body: { message: `No ref found for: ${ref}`, documentation_url: "https://docs.github.com/rest" } };
    const path = `.github/workflows/${workflow}`;
    const source = this.git.readFile(sha, path);
    if (source === undefined) return notFound();
    if (!/^\s*workflow_dispatch\s*:/m.test(source)) return { status: 422, body: { message: "Workflow does not have 'workflow_dispatch' trigger" } };
    const inputs = Object.fromEntries(Object.entries((body.inputs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const { name, title } = workflowTitles(source, workflow, inputs);
    const run: DoubleWorkflowRun = {
      id: this.actions.id(),
      name,
      path,
      display_title: title,
      event: "workflow_dispatch",
      status: "queued",
      conclusion: null,
      head_branch: ref,
      head_sha: sha,
      inputs,
      run_number: this.actions.runs.size + 1,
      created_at: this.now(),
      updated_at: this.now(),
      artifacts: [],
      jobs: [],
    };
    this.actions.runs.set(run.id, run);
    this.emit("workflow_run", "requested", this.bot, { workflow_run: this.runJson(run), workflow: { id: 161_335, name, path } });
    return { status: 204 };
  }

  /** The runner finished: artifacts uploaded, jobs logged, `workflow_run` completed announced. */
  completeWorkflowRun(runId: number, result: { conclusion: string; artifacts?: Record<string, Record<string, string>>; jobs?: Array<{ name: string; conclusion: string; log: string }> }): void {
    const run = this.actions.runs.get(runId);
    if (!run) throw new Error(`no workflow run ${runId}`);
    run.status = "completed";
    run.conclusion = result.conclusion;
    run.updated_at = this.now();
    for (const [name, files] of Object.entries(result.artifacts ?? {})) run.artifacts.push({ id: this.actions.id(), name, zip: zipFiles(files) });
    for (const job of result.jobs ?? []) run.jobs.push({ id: this.actions.id(), ...job });
    this.emit("workflow_run", "completed", this.user("github-actions[bot]", "Bot"), { workflow_run: this.runJson(run), workflow: { id: 161_335, name: run.name, path: run.path } });
  }

  private getRun(id: number): DoubleResponse {
    const run = this.actions.runs.get(id);
    return run ? ok(this.runJson(run)) : notFound();
  }

  private runArtifacts(id: number): DoubleResponse {
    const run = this.actions.runs.get(id);
    if (!run) return notFound();
    const api = `https://api.github.com/repos/${this.owner}/${this.repo}`;
    const artifacts = run.artifacts.map((a) => ({
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
      name: a.name,
      size_in_bytes: a.zip.length,
      url: `${api}/actions/artifacts/${a.id}`,
      archive_download_url: `${api}/actions/artifacts/${a.id}/zip`,
      expired: false,
      created_at: run.updated_at,
      expires_at: run.updated_at,
      updated_at: run.updated_at,
      workflow_run: { id: run.id, repository_id: 4_242, head_repository_id: 4_242, head_branch: run.head_branch, head_sha: run.head_sha },
    }));
    return ok({ total_count: artifacts.length, artifacts });
  }

  /** GitHub answers with a redirect to short-lived blob storage; the sandbox server serves that URL. */
  private downloadArtifact(id: number): DoubleResponse {
    return this.actions.artifact(id) ? { status: 302, headers: { location: `/_blobs/artifacts/${id}.zip` } } : notFound();
  }

  private jobLogs(id: number): DoubleResponse {
    return this.actions.job(id) ? { status: 302, headers: { location: `/_blobs/logs/${id}.txt` } } : notFound();
  }

  /** What a `/_blobs/…` download URL serves. */
  blob(path: string): { type: string; body: Uint8Array | string } | undefined {
    const artifact = /^artifacts\/(\d+)\.zip$/.exec(path);
    if (artifact) {
      const found = this.actions.artifact(Number(artifact[1]));
      return found && { type: "application/zip", body: found.artifact.zip };
    }
    const log = /^logs\/(\d+)\.txt$/.exec(path);
    const job = log ? this.actions.job(Number(log[1])) : undefined;
    return job && { type: "text/plain; charset=utf-8", body: job.log };
  }

  /** The PR's files: the diff between the merge base and the head, as GitHub lists them. */
  private pullFiles(n: number, query: URLSearchParams): DoubleResponse {
    const pull = this.issues.get(n)?.pull;
    if (!pull) return notFound();
    const head = this.git.refSha(`heads/${pull.head}`) ?? pull.headSha;
    const files = this.git.diffNames(`refs/heads/${pull.base}`, head).map((f) => ({
      sha: sha1(`${head}:${f.path}`),
      filename: f.path,
      status: f.status === "A" ? "added" : f.status === "D" ? "removed" : "modified",
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: "",
      raw_url: "",
      contents_url: "",
    }));
    return this.paginate(files, query, `/repos/${this.owner}/${this.repo}/pulls/${n}/files`);
  }

  private checkRunJson(r: DoubleCheckRun) {
    const api = `https://api.github.com/repos/${this.owner}/${this.repo}`;
    return {
      id: r.id,
      node_id: `CR_${r.id}`,
      head_sha: r.head_sha,
      external_id: "",
      url: `${api}/check-runs/${r.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/runs/${r.id}`,
      details_url: r.details_url,
      status: r.status,
      conclusion: r.conclusion,
      started_at: r.started_at,
      completed_at: r.completed_at,
      output: { title: r.output.title, summary: r.output.summary, text: r.output.text, annotations_count: r.output.annotations.length, annotations_url: `${api}/check-runs/${r.id}/annotations` },
      name: r.name,
      check_suite: { id: 1, head_branch: [...this.refs.entries()].find(([ref, head]) => ref.startsWith("heads/") && ref !== `heads/${this.defaultBranch}` && head === r.head_sha)?.[0].slice(6) ?? null, head_sha: r.head_sha },
      app: { ...r.app, node_id: `A_${r.app.id}`, owner: this.user(this.owner), description: null, external_url: "", html_url: "", created_at: this.now(), updated_at: this.now(), permissions: {}, events: [] },
      pull_requests: this.pulls()
        .filter((p) => p.state === "open" && this.git.refSha(`heads/${p.pull?.head ?? ""}`) === r.head_sha)
        .map((p) => ({ id: p.number, number: p.number, url: `${api}/pulls/${p.number}`, head: { ref: p.pull?.head, sha: r.head_sha, repo: { id: 4_242, url: api, name: this.repo } }, base: { ref: p.pull?.base, sha: "", repo: { id: 4_242, url: api, name: this.repo } } })),
    };
  }

  /** Check runs on a commit, newest first (tests read the gate from here). */
  checkRunsFor(sha: string): DoubleCheckRun[] {
    return this.checks.forSha(sha);
  }

  private createCheckRun(body: Record<string, unknown>, app: DoubleCheckRun["app"] = { id: 1, slug: this.appSlug, name: "Software Factory" }, sender: DoubleUser = this.bot): DoubleResponse {
    const sha = String(body.head_sha ?? "");
    if (!this.git.hasCommit(sha)) return invalid("head_sha", "invalid", "No commit found for SHA: " + sha);
    const output = (body.output ?? {}) as Record<string, unknown>;
    const status = (body.conclusion ? "completed" : (body.status as DoubleCheckRun["status"] | undefined) ?? "queued") as DoubleCheckRun["status"];
    const run = this.checks.create({
      name: String(body.name ?? ""),
      head_sha: sha,
      status,
      conclusion: typeof body.conclusion === "string" ? body.conclusion : null,
      started_at: this.now(),
      completed_at: status === "completed" ? this.now() : null,
      details_url: typeof body.details_url === "string" ? body.details_url : null,
      output: {
        title: typeof output.title === "string" ? output.title : null,
        summary: typeof output.summary === "string" ? output.summary : null,
        text: typeof output.text === "string" ? output.text : null,
        annotations: Array.isArray(output.annotations) ? (output.annotations as Array<Record<string, unknown>>) : [],
      },
      app,
    });
    this.emit("check_run", "created", sender, { check_run: this.checkRunJson(run) });
    if (run.status === "completed") this.emit("check_run", "completed", sender, { check_run: this.checkRunJson(run) });
    return created(this.checkRunJson(run));
  }

  private updateCheckRun(id: number, body: Record<string, unknown>): DoubleResponse {
    const run = this.checks.runs.get(id);
    if (!run) return notFound();
    const wasCompleted = run.status === "completed";
    if (typeof body.status === "string") run.status = body.status as DoubleCheckRun["status"];
    if (typeof body.conclusion === "string") {
      run.conclusion = body.conclusion;
      run.status = "completed";
    }
    if (run.status === "completed") run.completed_at ??= this.now();
    const output = body.output as Record<string, unknown> | undefined;
    if (output) {
      if (typeof output.title === "string") run.output.title = output.title;
      if (typeof output.summary === "string") run.output.summary = output.summary;
      if (typeof output.text === "string") run.output.text = output.text;
      if (Array.isArray(output.annotations)) run.output.annotations.push(...(output.annotations as Array<Record<string, unknown>>));
    }
    if (!wasCompleted && run.status === "completed") this.emit("check_run", "completed", this.bot, { check_run: this.checkRunJson(run) });
    return ok(this.checkRunJson(run));
  }

  private getCheckRun(id: number): DoubleResponse {
    const run = this.checks.runs.get(id);
    return run ? ok(this.checkRunJson(run)) : notFound();
  }

  private checkAnnotations(id: number, query: URLSearchParams): DoubleResponse {
    const run = this.checks.runs.get(id);
    if (!run) return notFound();
    const list = run.output.annotations.map((a) => ({ blob_href: "", title: null, raw_details: null, start_column: null, end_column: null, ...a, end_line: a.end_line ?? a.start_line }));
    return this.paginate(list, query, `/repos/${this.owner}/${this.repo}/check-runs/${id}/annotations`);
  }

  private listCheckRuns(ref: string, query: URLSearchParams): DoubleResponse {
    const sha = this.resolveCommit(ref);
    if (!sha) return { status: 422, body: { message: `No commit found for SHA: ${ref}` } };
    let runs = this.checks.forSha(sha);
    const name = query.get("check_name");
    if (name) runs = runs.filter((r) => r.name === name);
    if (query.get("filter") !== "all") runs = runs.filter((r, i, all) => all.findIndex((x) => x.name === r.name) === i);
    const page = this.paginate(runs.map((r) => this.checkRunJson(r)), query, `/repos/${this.owner}/${this.repo}/commits/${ref}/check-runs`);
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }

  private combinedStatus(ref: string): DoubleResponse {
    const sha = this.resolveCommit(ref);
    if (!sha) return { status: 422, body: { message: `No commit found for SHA: ${ref}` } };
    const statuses = this.checks.latestStatuses(sha);
    return ok({
      state: combinedState(statuses),
      sha,
      total_count: statuses.length,
      statuses: statuses.map((s) => this.statusJson(s)),
      repository: this.repositoryJson(),
      commit_url: `https://api.github.com/repos/${this.owner}/${this.repo}/commits/${sha}`,
      url: `https://api.github.com/repos/${this.owner}/${this.repo}/commits/${sha}/status`,
    });
  }

  private statusJson(s: DoubleStatus) {
    return {
      id: s.id,
      node_id: `SC_${s.id}`,
      url: `https://api.github.com/repos/${this.owner}/${this.repo}/statuses/${s.sha}`,
      avatar_url: null,
      state: s.state,
      description: s.description,
      target_url: s.target_url,
      context: s.context,
      created_at: s.created_at,
      updated_at: s.created_at,
    };
  }

  private createStatus(sha: string, body: Record<string, unknown>, by: DoubleUser): DoubleResponse {
    if (!this.git.hasCommit(sha)) return invalid("sha", "invalid", "No commit found for SHA: " + sha);
    const state = String(body.state ?? "") as DoubleStatus["state"];
    const status = this.checks.addStatus({
      sha,
      context: typeof body.context === "string" ? body.context : "default",
      state,
      description: typeof body.description === "string" ? body.description : null,
      target_url: typeof body.target_url === "string" ? body.target_url : null,
      created_at: this.now(),
    });
    const branches = [...this.refs.entries()].filter(([ref, head]) => ref.startsWith("heads/") && head === sha).map(([ref]) => ({ name: ref.slice(6), commit: { sha, url: "" }, protected: false }));
    this.emit("status", undefined, by, { id: status.id, sha, name: `${this.owner}/${this.repo}`, state, context: status.context, description: status.description, target_url: status.target_url, branches, commit: { sha }, created_at: status.created_at, updated_at: status.created_at });
    return created(this.statusJson(status));
  }

  private getContent(path: string, raw: boolean, ref: string): DoubleResponse {
    const commit = this.git.refSha(`heads/${ref}`) ?? (this.git.hasCommit(ref) ? ref : undefined);
    const text = commit ? this.git.readFile(commit, path) : undefined;
    if (text === undefined) return notFound();
    if (raw) return { status: 200, body: text, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
    return ok({
      type: "file",
      encoding: "base64",
      size: Buffer.byteLength(text),
      name: path.split("/").pop(),
      path,
      content: Buffer.from(text).toString("base64"),
      sha: sha1(`blob:${text}`),
    });
  }

  private listComments(issue: number, query: URLSearchParams): DoubleResponse {
    if (!this.issues.has(issue)) return notFound();
    return this.paginate(
      this.commentsOn(issue).map((c) => this.commentJson(c)),
      query,
      `/repos/${this.owner}/${this.repo}/issues/${issue}/comments`,
    );
  }

  private createComment(issue: number, body: Record<string, unknown>): DoubleResponse {
    if (!this.issues.has(issue)) return notFound();
    if (typeof body.body !== "string") return invalid("body", "missing_field");
    if (body.body.length > 65_536) return invalid("body", "custom", "body is too long (maximum is 65536 characters)");
    return created(this.commentJson(this.postComment(issue, this.bot, body.body)));
  }

  private updateComment(id: number, body: Record<string, unknown>): DoubleResponse {
    const comment = this.comments.get(id);
    if (!comment) return notFound();
    if (comment.user.login !== this.bot.login) return { status: 403, body: { message: "Resource not accessible by integration" } };
    if (typeof body.body !== "string") return invalid("body", "missing_field");
    this.editComment(id, body.body, this.bot);
    return ok(this.commentJson(comment));
  }

  private deleteComment(id: number): DoubleResponse {
    const comment = this.comments.get(id);
    if (!comment) return notFound();
    this.comments.delete(id);
    this.emit("issue_comment", "deleted", this.bot, { issue: this.issueJson(this.mustIssue(comment.issue)), comment: this.commentJson(comment) });
    return { status: 204 };
  }

  private react(id: number, body: Record<string, unknown>): DoubleResponse {
    const comment = this.comments.get(id);
    if (!comment) return notFound();
    const content = String(body.content);
    const existing = comment.reactions.find((r) => r.content === content && r.user === this.bot.login);
    if (!existing) comment.reactions.push({ content, user: this.bot.login });
    return { status: existing ? 200 : 201, body: { id: comment.reactions.length, content, user: this.bot, created_at: this.now() } };
  }

  private getIssue(n: number): DoubleResponse {
    const issue = this.issues.get(n);
    return issue ? ok(this.issueJson(issue)) : notFound();
  }

  private updateIssue(n: number, body: Record<string, unknown>): DoubleResponse {
    const issue = this.issues.get(n);
    if (!issue) return notFound();
    const changes: Record<string, { from: unknown }> = {};
    if (typeof body.body === "string" && body.body !== issue.body) {
      changes.body = { from: issue.body };
      issue.body = body.body;
    }
    if (typeof body.title === "string" && body.title !== issue.title) {
      changes.title = { from: issue.title };
      issue.title = body.title;
    }
    issue.updated_at = this.now();
    if (Object.keys(changes).length) this.emitIssue(issue, "edited", this.bot, { changes });
    if ((body.state === "open" || body.state === "closed") && body.state !== issue.state) {
      issue.state = body.state;
      this.emitIssue(issue, body.state === "closed" ? "closed" : "reopened", this.bot);
    }
    return ok(this.issueJson(issue));
  }

  private issueLabels(n: number): DoubleResponse {
    const issue = this.issues.get(n);
    return issue ? ok(issue.labels.map((name) => this.labelJson(name))) : notFound();
  }

  private addLabels(n: number, body: Record<string, unknown>): DoubleResponse {
    const issue = this.issues.get(n);
    if (!issue) return notFound();
    const names = Array.isArray(body.labels) ? body.labels.map(String) : [];
    for (const name of names) this.addLabel(n, name, this.bot);
    return ok(issue.labels.map((name) => this.labelJson(name)));
  }

  private removeLabel(n: number, name: string): DoubleResponse {
    const issue = this.issues.get(n);
    if (!issue || !issue.labels.includes(name)) return { status: 404, body: { message: "Label does not exist" } };
    issue.labels = issue.labels.filter((l) => l !== name);
    this.emitIssue(issue, "unlabeled", this.bot, { label: this.labelJson(name) });
    return ok(issue.labels.map((l) => this.labelJson(l)));
  }

  private listIssues(query: URLSearchParams): DoubleResponse {
    const wanted = (query.get("labels") ?? "").split(",").filter(Boolean);
    const state = query.get("state") ?? "open";
    const list = [...this.issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => wanted.every((l) => i.labels.includes(l)))
      .sort((a, b) => b.number - a.number)
      .map((i) => this.issueJson(i));
    return this.paginate(list, query, `/repos/${this.owner}/${this.repo}/issues`);
  }

  private createIssue(body: Record<string, unknown>): DoubleResponse {
    if (typeof body.title !== "string") return invalid("title", "missing_field");
    const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
    for (const name of labels) this.ensureLabel(name);
    const issue = this.newIssue(this.bot, body.title, typeof body.body === "string" ? body.body : null, labels);
    this.emit("issues", "opened", this.bot, { issue: this.issueJson(issue) });
    return created(this.issueJson(issue));
  }

  private createLabel(body: Record<string, unknown>): DoubleResponse {
    const name = String(body.name ?? "");
    if ([...this.labels.keys()].some((l) => l.toLowerCase() === name.toLowerCase())) {
      return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] } };
    }
    this.labels.set(name, { name, color: String(body.color ?? "ededed"), description: typeof body.description === "string" ? body.description : null });
    return created(this.labelJson(name));
  }

  private getBranch(branch: string): DoubleResponse {
    const sha = this.git.refSha(`heads/${branch}`);
    if (!sha) return { status: 404, body: { message: "Branch not found" } };
    const commit = this.git.commit(sha);
    return ok({ name: branch, commit: { sha, commit: { tree: { sha: commit.tree }, message: commit.message } }, protected: false });
  }

  /** Resolves a branch name or a sha to a commit sha. */
  private resolveCommit(ref: string): string | undefined {
    return this.git.refSha(`heads/${ref}`) ?? (this.git.hasCommit(ref) ? ref : undefined);
  }

  private getTree(sha: string, recursive: boolean): DoubleResponse {
    const tree = this.git.hasTree(sha) ? sha : this.git.hasCommit(sha) ? this.git.commit(sha).tree : undefined;
    if (!tree) return notFound();
    const entries = recursive ? this.git.listTree(tree) : this.git.listTree(tree).filter((e) => !e.path.includes("/"));
    return ok({
      sha: tree,
      url: `https://api.github.com/repos/${this.owner}/${this.repo}/git/trees/${tree}`,
      tree: entries.map((e) => ({ path: e.path, mode: e.mode, type: "blob", sha: e.sha, size: e.size })),
      truncated: false,
    });
  }

  private getBlob(sha: string): DoubleResponse {
    const bytes = this.git.blob(sha);
    if (!bytes) return notFound();
    return ok({ sha, node_id: `B_${sha}`, size: bytes.length, encoding: "base64", content: bytes.toString("base64"), url: `https://api.github.com/repos/${this.owner}/${this.repo}/git/blobs/${sha}` });
  }

  private commitJson(info: CommitInfo) {
    return {
      sha: info.sha,
      node_id: `C_${info.sha}`,
      commit: { message: info.message.trimEnd(), tree: { sha: info.tree }, author: { name: "Sandbox", email: "sandbox@example.invalid", date: new Date(this.clock).toISOString() } },
      parents: info.parents.map((sha) => ({ sha })),
      html_url: `https://github.com/${this.owner}/${this.repo}/commit/${info.sha}`,
    };
  }

  private listCommits(query: URLSearchParams): DoubleResponse {
    const head = this.resolveCommit(query.get("sha") ?? this.defaultBranch);
    if (!head) return notFound();
    return this.paginate(this.git.log(head, 1000).map((c) => this.commitJson(c)), query, `/repos/${this.owner}/${this.repo}/commits`);
  }

  private getCommit(ref: string): DoubleResponse {
    const sha = this.resolveCommit(ref);
    if (!sha) return { status: 422, body: { message: `No commit found for SHA: ${ref}` } };
    return ok({ ...this.commitJson(this.git.commit(sha)), files: this.git.changedFiles(sha).map((filename) => ({ filename, status: "modified" })) });
  }

  private createCommit(body: Record<string, unknown>): DoubleResponse {
    const parents = Array.isArray(body.parents) ? body.parents.map(String) : [];
    if (typeof body.tree !== "string" || typeof body.message !== "string") return invalid("tree", "missing_field");
    if (!this.git.hasTree(body.tree)) return { status: 422, body: { message: "Tree SHA does not exist" } };
    if (parents.some((p) => !this.git.hasCommit(p))) return { status: 422, body: { message: "Parent SHA does not exist or is not a commit object" } };
    const sha = this.git.commitTree(body.tree, parents, body.message);
    return created({ sha, tree: { sha: body.tree }, parents: parents.map((p) => ({ sha: p })), message: body.message });
  }

  private createRef(body: Record<string, unknown>): DoubleResponse {
    const ref = String(body.ref ?? "");
    const sha = String(body.sha ?? "");
    if (!ref.startsWith("refs/")) return invalid("ref", "invalid");
    if (!this.git.hasCommit(sha)) return { status: 422, body: { message: "Object does not exist" } };
    const name = ref.slice("refs/".length);
    if (this.git.createRef(name, sha) === "exists") return { status: 422, body: { message: "Reference already exists" } };
    if (name.startsWith("heads/")) {
      this.emit("create", undefined, this.bot, { ref: name.slice("heads/".length), ref_type: "branch", master_branch: this.defaultBranch, pusher_type: "user" });
    }
    return created({ ref, object: { sha, type: "commit" } });
  }

  private createPull(body: Record<string, unknown>): DoubleResponse {
    const head = String(body.head ?? "");
    const base = String(body.base ?? "");
    const headSha = this.git.refSha(`heads/${head}`);
    if (!headSha || !this.git.refSha(`heads/${base}`)) return invalid("head", "invalid");
    if (this.pulls().some((p) => p.state === "open" && p.pull?.head === head && p.pull.base === base)) {
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${this.owner}:${head}.` }] },
      };
    }
    if (this.git.commitsBetween(`refs/heads/${base}`, `refs/heads/${head}`).length === 0) {
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${head}` }] },
      };
    }
    const pull = this.newIssue(this.bot, String(body.title ?? ""), typeof body.body === "string" ? body.body : null);
    pull.pull = { head, base, draft: body.draft === true, headSha };
    this.emit("pull_request", "opened", this.bot, { number: pull.number, pull_request: this.pullJson(pull) });
    return created(this.pullJson(pull));
  }

  private listPulls(query: URLSearchParams): DoubleResponse {
    const head = query.get("head");
    const state = query.get("state") ?? "open";
    const list = this.pulls()
      .filter((p) => state === "all" || p.state === state)
      .filter((p) => !head || `${this.owner}:${p.pull?.head}` === head)
      .map((p) => this.pullJson(p));
    return this.paginate(list, query, `/repos/${this.owner}/${this.repo}/pulls`);
  }

  private getPull(n: number): DoubleResponse {
    const pull = this.issues.get(n);
    return pull?.pull ? ok(this.pullJson(pull)) : notFound();
  }

  private permission(login: string): DoubleResponse {
    const role = this.permissions.get(login);
    if (!role) return { status: 404, body: { message: `${login} is not a user` } };
    const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
    return ok({ permission: legacy, role_name: role, user: this.user(login) });
  }

  private graphql(body: Record<string, unknown>): DoubleResponse {
    const query = String(body.query ?? "");
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    if (query.includes("markPullRequestReadyForReview")) {
      const pull = this.pulls().find((p) => p.node_id === variables.id);
      if (!pull?.pull) return ok({ data: null, errors: [{ type: "NOT_FOUND", message: `Could not resolve to a node with the global id of '${String(variables.id)}'` }] });
      if (pull.pull.draft) {
        pull.pull.draft = false;
        this.emit("pull_request", "ready_for_review", this.bot, { number: pull.number, pull_request: this.pullJson(pull) });
      }
      return ok({ data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } });
    }
    if (query.includes("pinIssue")) {
      const issue = [...this.issues.values()].find((i) => i.node_id === variables.id);
      if (!issue) return ok({ data: null, errors: [{ type: "NOT_FOUND", message: `Could not resolve to a node with the global id of '${String(variables.id)}'` }] });
      issue.pinned = true;
      return ok({ data: { pinIssue: { issue: { number: issue.number } } } });
    }
    return ok({ data: null, errors: [{ message: "the double does not implement this query" }] });
  }

  /**
   * After a `git push` over HTTP: a `push` event per moved branch, and a
   * `synchronize` for each open pull request whose head moved.
   */
  refsPushed(before: Map<string, string>, pusher: string): void {
    const after = this.refs;
    const sender = pusher === "x-access-token" ? this.bot : this.user(pusher);
    for (const [ref, sha] of after) {
      const old = before.get(ref);
      if (old === sha || !ref.startsWith("heads/")) continue;
      const branch = ref.slice("heads/".length);
      const commits = old ? this.git.commitsBetween(old, sha) : [this.git.commit(sha)];
      this.emit("push", undefined, sender, {
        ref: `refs/${ref}`,
        before: old ?? "0".repeat(40),
        after: sha,
        created: old === undefined,
        deleted: false,
        forced: false,
        commits: commits.map((c) => ({ id: c.sha, message: c.message, distinct: true })),
        head_commit: { id: sha, message: this.git.commit(sha).message },
        pusher: { name: sender.login, email: null },
      });
      if (branch !== this.defaultBranch) {
        for (const name of this.ciChecks) {
          this.createCheckRun({ name, head_sha: sha, status: "queued" }, CI_APP, this.user("github-actions[bot]", "Bot"));
        }
      }
      for (const pull of this.pulls().filter((p) => p.state === "open" && p.pull?.head === branch)) {
        const previous = pull.pull?.headSha;
        if (pull.pull) pull.pull.headSha = sha;
        pull.updated_at = this.now();
        this.emit("pull_request", "synchronize", sender, { number: pull.number, before: previous, after: sha, pull_request: this.pullJson(pull) });
      }
    }
  }

  // ---- webhooks ---------------------------------------------------------------------

  private emit(name: string, action: string | undefined, sender: DoubleUser, fields: Record<string, unknown>): void {
    this.onEvent({
      name,
      payload: {
        ...(action ? { action } : {}),
        ...fields,
        repository: this.repositoryJson(),
        organization: { login: this.owner, id: 1, node_id: "O_1" },
        installation: { id: this.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
        sender,
      },
    });
  }

  /** An issue event, or its pull_request twin when the issue is a PR (as GitHub sends for labels on PRs). */
  private emitIssue(issue: DoubleIssue, action: string, sender: DoubleUser, fields: Record<string, unknown> = {}): void {
    if (issue.pull) this.emit("pull_request", action, sender, { number: issue.number, pull_request: this.pullJson(issue), ...fields });
    else this.emit("issues", action, sender, { issue: this.issueJson(issue), ...fields });
  }

  repositoryJson() {
    return {
      id: 4_242,
      node_id: "R_4242",
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      private: false,
      owner: { ...this.user(this.owner), type: "Organization" },
      html_url: `https://github.com/${this.owner}/${this.repo}`,
      default_branch: this.defaultBranch,
    };
  }

  // ---- shapes -------------------------------------------------------------------------

  private commentJson(c: DoubleComment) {
    const base = `https://github.com/${this.owner}/${this.repo}`;
    return {
      id: c.id,
      node_id: c.node_id,
      body: c.body,
      user: c.user,
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: `${base}/issues/${c.issue}#issuecomment-${c.id}`,
      issue_url: `https://api.github.com/repos/${this.owner}/${this.repo}/issues/${c.issue}`,
      author_association: c.user.type === "Bot" ? "NONE" : "MEMBER",
      performed_via_github_app: c.user.login === this.bot.login ? { id: 1, slug: this.appSlug } : null,
    };
  }

  private labelJson(name: string) {
    const label = this.labels.get(name) ?? { name, color: "ededed", description: null };
    return { id: sha1(name).length, node_id: `LA_${name}`, name, color: label.color, description: label.description, default: false };
  }

  private issueJson(i: DoubleIssue) {
    return {
      id: i.number,
      node_id: i.node_id,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      user: i.user,
      labels: i.labels.map((name) => this.labelJson(name)),
      created_at: i.created_at,
      updated_at: i.updated_at,
      html_url: `https://github.com/${this.owner}/${this.repo}/${i.pull ? "pull" : "issues"}/${i.number}`,
      ...(i.pull ? { pull_request: { url: `https://api.github.com/repos/${this.owner}/${this.repo}/pulls/${i.number}` } } : {}),
    };
  }

  private pullJson(p: DoubleIssue) {
    const pull = p.pull as NonNullable<DoubleIssue["pull"]>;
    return {
      ...this.issueJson(p),
      draft: pull.draft,
      head: { ref: pull.head, sha: this.git.refSha(`heads/${pull.head}`) ?? pull.headSha, label: `${this.owner}:${pull.head}`, repo: this.repositoryJson() },
      base: { ref: pull.base, sha: this.git.refSha(`heads/${pull.base}`), label: `${this.owner}:${pull.base}`, repo: this.repositoryJson() },
    };
  }

  private paginate(list: unknown[], query: URLSearchParams, path: string): DoubleResponse {
    const perPage = Math.min(100, Number(query.get("per_page") ?? 30) || 30);
    const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
    const last = Math.max(1, Math.ceil(list.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) {
      const link = (p: number) => {
        const q = new URLSearchParams(query);
        q.set("page", String(p));
        q.set("per_page", String(perPage));
        return `<https://api.github.com${path}?${q.toString()}>`;
      };
      headers.link = `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`;
    }
    return { status: 200, body: list.slice((page - 1) * perPage, page * perPage), headers };
  }

  // ---- helpers ------------------------------------------------------------------------

  private ensureLabel(name: string): void {
    if (!this.labels.has(name)) this.labels.set(name, { name, color: "ededed", description: null });
  }

  private mustIssue(n: number): DoubleIssue {
    const issue = this.issues.get(n);
    if (!issue) throw new Error(`no issue #${n}`);
    return issue;
  }

  /** Strictly increasing, starting at the wall clock: tests can `tick` it forward. */
  private now(): string {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock).toISOString();
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

const ok = (body: unknown): DoubleResponse => ({ status: 200, body });
const created = (body: unknown): DoubleResponse => ({ status: 201, body });
const notFound = (): DoubleResponse => ({ status: 404, body: { message: "Not Found" } });
const invalid = (field: string, code: string, message?: string): DoubleResponse => ({
  status: 422,
  body: { message: "Validation Failed", errors: [{ resource: "Issue", field, code, ...(message ? { message } : {}) }] },
});
