import { createHash } from "node:crypto";
import { ActionsArea, type DoubleDispatch, type DoubleWorkflowRun, type RunResult } from "./double/actions.js";
import { ChecksArea, type DoubleCheckRun, type DoubleStatus } from "./double/checks.js";
import { GitDataArea } from "./double/git-data.js";
import { IssuesArea } from "./double/issues.js";
import type { DoubleComment, DoubleCommit, DoubleEvent, DoubleIssue, DoubleRequest, DoubleResponse, DoubleUser } from "./double/model.js";
import { PullsArea, type MergeOptions } from "./double/pulls.js";
import { ReviewsArea, type InlineComment, type ReviewEvent } from "./double/reviews.js";
import { created, matchRoute, notFound, ok, unprocessable, type Route } from "./double/router.js";
import { ReleasesArea, type DoubleRelease } from "./double/releases.js";
import { Shapes } from "./double/shapes.js";
import { GitRepo } from "./git-repo.js";

export type { DoubleComment, DoubleCommit, DoubleEvent, DoubleIssue, DoublePull, DoubleRequest, DoubleResponse, DoubleUser } from "./double/model.js";
export type { DoubleCheckRun, DoubleCheckSuite, DoubleStatus } from "./double/checks.js";
export type { DoubleDispatch, DoubleWorkflowRun } from "./double/actions.js";
export type { DoubleReview, DoubleReviewComment } from "./double/reviews.js";
export type { DoubleRelease } from "./double/releases.js";

/**
 * A stateful stand-in for the parts of GitHub's REST API the app uses, as a plain
 * router: `(method, path, body) → response`. Tests put it behind nock; the sandbox
 * server puts it behind HTTP. It answers the way GitHub does, including the 4xx
 * the app relies on ("already exists", "no commits between", "not a fast
 * forward", "not mergeable"). Branches, commits and file contents live in a real
 * bare git repository; every change, by a person or by the app, is reported to
 * `onEvent` as the webhook GitHub would send.
 *
 * This file holds the state every area shares, the actor API (what people and
 * other apps do) and the one router; each area of the API is a module in
 * `double/`: issues, pulls, reviews, checks, git data, Actions.
 */

interface Label {
  name: string;
  color: string;
  description: string | null;
}

const BOT_ID = 900_001;
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** What an installation token reaches. */
export interface TokenScope {
  repositories: "all" | string[];
  permissions: Record<string, string>;
  /** Minted with `permissions` asked for: requests are held to them. */
  scopedPermissions?: boolean;
}

/** The permission a REST route needs, by its path under `/repos/{owner}/{repo}` (GitHub's "permissions required for GitHub Apps"). */
const PERMISSION_OF: Array<[RegExp, string]> = [
  [/^\/(commits\/[^/]+\/check-(runs|suites)|check-runs|check-suites)\b/, "checks"],
  [/^\/(commits\/[^/]+\/status(es)?|statuses)\b/, "statuses"],
  [/^\/(contents|git|commits|branches|compare|merges|tarball|zipball|readme)\b/, "contents"],
  [/^\/pulls\b/, "pull_requests"],
  [/^\/(issues|labels|milestones)\b/, "issues"],
  [/^\/actions\b/, "actions"],
];

export class GitHubDouble {
  readonly owner: string;
  readonly repo: string;
  readonly bot: DoubleUser;
  readonly appSlug: string;
  readonly defaultBranch: string;
  readonly git: GitRepo;
  readonly shapes: Shapes;
  readonly installationId = 1;
  issues = new Map<number, DoubleIssue>();
  comments = new Map<number, DoubleComment>();
  labels = new Map<string, Label>();
  permissions = new Map<string, string>();
  /**
   * Installation tokens the double has issued, with their scope: REST and git over
   * HTTP accept only these, and a token minted for some repositories or permissions
   * reaches only those (as GitHub's scoped installation tokens do).
   */
  tokens = new Map<string, TokenScope>();
  /** Branch protection: the status checks it requires, per branch (as "get a branch" shows them to a reader). */
  protection = new Map<string, string[]>();
  /**
   * Rulesets: each applies to the branches one of `include` matches (`~DEFAULT_BRANCH`,
   * `~ALL`, or `refs/heads/<pattern>` with `*`) and requires the status checks `checks`.
   */
  rulesets: Array<{ id: number; name: string; include: string[]; checks: string[] }> = [];
  /** Branch protection's pull-request reviews, per branch: merging needs `approvals` approving reviews and no outstanding request for changes. */
  reviewRules = new Map<string, { approvals: number }>();
  /** The merge methods the repository allows (its settings); a merge with another is refused, as on GitHub. */
  mergeMethods = { merge: true, squash: true, rebase: true };
  /** Releases, drafts included (`GET/POST /releases`, `PATCH /releases/{id}`). */
  releases: DoubleRelease[] = [];
  /** false: a private repository on a plan without draft pull requests (GitHub answers 422 to a draft). */
  draftsAllowed = true;
  /** A repository that refuses new pull requests (a rule, a disabled feature): `POST /pulls` answers 422 with this message. */
  pullsRefused: string | undefined;
  /** Check runs another app (CI) starts, queued, on every push to a branch other than the default. */
  ciChecks: string[] = [];
  /**
   * How CI behaves, as on GitHub: its check runs register `registerAfterMs` after a
   * push (not within it), and, with `finish`, complete with that conclusion after
   * `finishAfterMs`. A push made with a workflow's `GITHUB_TOKEN` (as
   * `github-actions[bot]`) starts no workflow at all.
   */
  ci: { registerAfterMs: number; finish?: { conclusion: string; afterMs: number }; held?: boolean } = { registerAfterMs: 0 };
  /** With `ci.held`: registrations waiting for {@link releaseCi} (a test that must see the line before CI shows up). */
  private heldCi: Array<() => void> = [];
  private readonly ciTimers = new Set<NodeJS.Timeout>();
  /** Receives every change as the webhook GitHub would send. */
  onEvent: (event: DoubleEvent) => void = () => {};
  /** Requests per `METHOD /repos/{owner}/{repo}/…` route template, for request-cost figures. */
  counts = new Map<string, number>();
  /** Requests no route answered: a test that sees one is exercising something the double lacks. */
  unrouted: string[] = [];

  readonly issueApi: IssuesArea;
  readonly pullApi: PullsArea;
  readonly reviews: ReviewsArea;
  readonly releaseApi: ReleasesArea;
  readonly checks: ChecksArea;
  readonly gitData: GitDataArea;
  readonly actions: ActionsArea;

  private readonly routes: Route[];
  private writeCount = 0;
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
    this.shapes = new Shapes(this.owner, this.repo, this.defaultBranch);
    this.git = GitRepo.create({
      owner: this.owner,
      repo: this.repo,
      defaultBranch: this.defaultBranch,
      files: options.files ?? { "README.md": `# ${this.repo}\n` },
    });
    this.issueApi = new IssuesArea(this);
    this.pullApi = new PullsArea(this);
    this.reviews = new ReviewsArea(this);
    this.checks = new ChecksArea(this);
    this.gitData = new GitDataArea(this);
    this.actions = new ActionsArea(this);
    this.releaseApi = new ReleasesArea(this);
    this.routes = [this.issueApi, this.pullApi, this.reviews, this.checks, this.gitData, this.actions, this.releaseApi].flatMap((area) => area.routes());
  }

  /** Removes the repository from disk. */
  close(): void {
    for (const timer of this.ciTimers) clearTimeout(timer);
    this.ciTimers.clear();
    this.git.remove();
  }

  /** `heads/<branch>` → sha, read from git. */
  get refs(): Map<string, string> {
    return this.git.refs();
  }

  /**
   * Content-creating requests so far (POST, PATCH, PUT, DELETE and GraphQL
   * mutations; not the token exchange or GraphQL queries): what GitHub's secondary
   * limit of 80 a minute and 500 an hour counts, so a test can state the write cost.
   */
  get writes(): number {
    return this.writeCount;
  }

  // ---- actor API: what people and other apps do ------------------------------------------

  user(login: string, type: "User" | "Bot" = "User"): DoubleUser {
    return { login, id: 10_000 + [...login].reduce((a, c) => a + c.charCodeAt(0), 0), type };
  }

  openIssue(author: string, title: string, body: string | null, labels: string[] = []): DoubleIssue {
    const issue = this.newIssue(this.user(author), title, body, labels);
    this.emit("issues", "opened", issue.user, { issue: this.issueApi.issueJson(issue) });
    return issue;
  }

  /** A person reacts to an issue (👍 is `+1`): it shows in the issue's reaction rollup, as GitHub's listing does. No webhook, as on GitHub. */
  reactToIssue(issue: number, login: string, content: "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes"): void {
    const target = this.mustIssue(issue);
    target.reactions = [...(target.reactions ?? []).filter((r) => !(r.user === login && r.content === content)), { content, user: login }];
  }

  newIssue(author: DoubleUser, title: string, body: string | null, labels: string[] = []): DoubleIssue {
    const number = this.nextNumber++;
    const issue: DoubleIssue = {
      number,
      node_id: `I_kwDO${number}`,
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

  addLabel(issue: number, given: string, by: DoubleUser = this.user("maintainer")): void {
    // GitHub matches label names without regard to case: the repository's label, as spelt there, is applied.
    const name = this.ensureLabel(given);
    const target = this.mustIssue(issue);
    if (target.labels.includes(name)) return;
    target.labels.push(name);
    target.updated_at = this.now();
    this.emitIssue(target, "labeled", by, { label: this.issueApi.labelJson(name) });
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
    this.setState(this.mustIssue(issue), "closed", by);
  }

  /** Opens or closes an issue or PR and announces it (`closed`, `reopened`). */
  setState(issue: DoubleIssue, state: "open" | "closed", by: DoubleUser): void {
    issue.state = state;
    issue.updated_at = this.now();
    if (state === "closed") issue.closed_at = issue.updated_at;
    else delete issue.closed_at;
    this.emitIssue(issue, state === "closed" ? "closed" : "reopened", by);
  }

  postComment(issue: number, author: DoubleUser, body: string): DoubleComment {
    // A new comment moves the thread's `updated_at`, as on GitHub (an edited comment does not).
    this.mustIssue(issue).updated_at = this.now();
    const id = this.nextCommentId++;
    const comment: DoubleComment = { id, node_id: `IC_kwDO${id}`, body, user: author, created_at: this.now(), updated_at: this.now(), issue, reactions: [] };
    this.comments.set(comment.id, comment);
    this.emit("issue_comment", "created", author, { issue: this.issueApi.issueJson(this.mustIssue(issue)), comment: this.issueApi.commentJson(comment) });
    return comment;
  }

  editComment(id: number, body: string, by?: DoubleUser): void {
    const comment = this.comments.get(id);
    if (!comment) throw new Error(`no comment ${id}`);
    const from = comment.body;
    comment.body = body;
    comment.updated_at = this.now();
    this.emit("issue_comment", "edited", by ?? comment.user, {
      issue: this.issueApi.issueJson(this.mustIssue(comment.issue)),
      comment: this.issueApi.commentJson(comment),
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

  /** A person commits a file to the default branch (quietly: no webhook, as for a repository's setup). */
  writeFile(path: string, content: string): void {
    this.git.commitFiles(this.defaultBranch, { [path]: content }, `Update ${path}`);
  }

  /**
   * A person commits files to a branch (started from the default branch when it
   * does not exist) and pushes: `push`, and `synchronize` for an open PR on it.
   */
  push(branch: string, files: Record<string, string>, message: string, by = "maintainer"): string {
    const before = this.refs;
    const who = this.user(by, by.endsWith("[bot]") ? "Bot" : "User");
    if (!before.has(`heads/${branch}`)) this.git.createRef(`heads/${branch}`, before.get(`heads/${this.defaultBranch}`) ?? "");
    const sha = this.git.commitFiles(branch, files, message, { name: by, email: `${who.id}+${by}@users.noreply.github.com` });
    this.refsPushed(before, who);
    return sha;
  }

  /** A person reviews a PR: `pull_request_review` `submitted`, then a `pull_request_review_comment` `created` per inline comment. */
  review(pr: number, login: string, review: { state: ReviewEvent; body?: string; comments?: InlineComment[] }): DoubleResponse {
    const response = this.reviews.create(pr, this.user(login), { event: review.state, body: review.body ?? "", ...(review.comments ? { comments: review.comments } : {}) });
    if (response.status !== 200) throw new Error(`the review of #${pr} was refused (${response.status}): ${JSON.stringify(response.body)}`);
    return response;
  }

  /** A person merges a PR, through the same path as `PUT /pulls/{n}/merge`; a refusal throws with GitHub's message. */
  merge(pr: number, login = "maintainer", options: MergeOptions = {}): string {
    const response = this.pullApi.merge(pr, options, this.user(login));
    if (response.status !== 200) throw new Error(`merging #${pr} was refused (${response.status}): ${(response.body as { message?: string } | undefined)?.message ?? ""}`);
    return (response.body as { sha: string }).sha;
  }

  /** Another app (CI) reports a finished check run on a commit (completing the one it queued, if any). */
  completeCheck(sha: string, name: string, result: { conclusion: string; title?: string; summary?: string; text?: string; annotations?: Array<Record<string, unknown>> }): DoubleCheckRun {
    return this.checks.complete(sha, name, result);
  }

  /** Another service sets a commit status. */
  setStatus(sha: string, context: string, state: DoubleStatus["state"], description?: string): void {
    const response = this.checks.createStatus(sha, { context, state, ...(description ? { description } : {}) }, this.user("ci-bot", "Bot"));
    if (response.status !== 201) throw new Error(`cannot set ${context} on ${sha}: ${JSON.stringify(response.body)}`);
  }

  /** Check runs on a commit, newest first (tests read the gate from here). */
  checkRunsFor(sha: string): DoubleCheckRun[] {
    return this.checks.forSha(sha);
  }

  /** The runner finished a workflow run: `workflow_job` `completed` per job, then `workflow_run` `completed`. */
  completeWorkflowRun(runId: number, result: RunResult): DoubleWorkflowRun {
    return this.actions.complete(runId, result);
  }

  /** Workflow runs, newest first. */
  workflowRuns(): DoubleWorkflowRun[] {
    return [...this.actions.runs.values()].sort((a, b) => b.id - a.id);
  }

  /** Every `workflow_dispatch` the app sent, in order, with its inputs as sent. */
  get dispatches(): readonly DoubleDispatch[] {
    return this.actions.dispatches;
  }

  /** What a `/_blobs/…` download URL (behind an Actions redirect) serves. */
  blob(path: string): { type: string; body: Uint8Array | string } | undefined {
    return this.actions.blob(path);
  }

  tick(ms: number): void {
    this.clock += ms;
  }

  // ---- the REST router ------------------------------------------------------------------

  handle(request: DoubleRequest): DoubleResponse {
    const route = this.match(request);
    const key = `${request.method} ${route?.template ?? request.path}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.isWrite(request)) this.writeCount++;
    if (!route) {
      this.unrouted.push(`${request.method} ${request.path}`);
      return notFound();
    }
    return route.run();
  }

  private isWrite(request: DoubleRequest): boolean {
    if (!WRITES.has(request.method) || /\/access_tokens$/.test(request.path)) return false;
    if (!/\/graphql$/.test(request.path)) return true;
    const query = String((request.body as { query?: unknown } | undefined)?.query ?? "");
    return /^\s*mutation\b/.test(query);
  }

  private match(request: DoubleRequest): { template: string; run: () => DoubleResponse } | undefined {
    const { method, query } = request;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const path = request.path.replace(/^\/api\/v3/, "");
    if (method === "GET" && path === "/app") {
      return { template: "/app", run: () => ok({ ...this.shapes.app({ id: 1, slug: this.appSlug, name: "Software Factory" }), installations_count: 1 }) };
    }
    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return { template: "/app/installations/{installation_id}/access_tokens", run: () => this.mintToken(body) };
    }
    if (method === "POST" && path === "/graphql") return { template: "/graphql", run: () => this.graphql(body) };
    const prefix = `/repos/${this.owner}/${this.repo}`;
    const other = /^\/repos\/[^/]+\/[^/]+\//.test(path) && !path.startsWith(`${prefix}/`);
    // Another repository of the owner (Probot reads config from `<owner>/.github`): not in this double.
    if (other) return { template: path.replace(/^\/repos\/[^/]+\/([^/]+)\/contents\/.*$/, "/repos/{owner}/$1/contents/{path}"), run: () => notFound() };
    if (method === "GET" && path === prefix) {
      return {
        template: "/repos/{owner}/{repo}",
        run: () =>
          ok({
            ...this.shapes.repository(),
            network_count: 0,
            subscribers_count: 0,
            allow_merge_commit: this.mergeMethods.merge,
            allow_squash_merge: this.mergeMethods.squash,
            allow_rebase_merge: this.mergeMethods.rebase,
          }),
      };
    }
    if (!path.startsWith(`${prefix}/`)) return undefined;
    const found = matchRoute(this.routes, method, path.slice(prefix.length));
    if (!found) return undefined;
    const { route, params } = found;
    return { template: `/repos/{owner}/{repo}${route.template}`, run: () => route.run({ params, query, body, headers: request.headers ?? {} }) };
  }

  /**
   * Why `token` may not make this request (a status and GitHub's message), or
   * undefined when it may: another repository is not found; a route outside the
   * token's permissions is "not accessible by integration".
   */
  tokenRefuses(token: string, method: string, path: string): { status: number; message: string } | undefined {
    const scope = this.tokens.get(token);
    if (!scope) return { status: 401, message: "Bad credentials" };
    const repo = /^\/repos\/[^/]+\/([^/]+)(\/.*)?$/.exec(path);
    if (!repo) return undefined;
    if (scope.repositories !== "all" && !scope.repositories.includes(repo[1] ?? "")) return { status: 404, message: "Not Found" };
    if (!scope.scopedPermissions) return undefined;
    const rest = repo[2] ?? "";
    const permission = PERMISSION_OF.find(([pattern]) => pattern.test(rest))?.[1] ?? "metadata";
    const level = scope.permissions[permission] ?? (permission === "issues" ? scope.permissions.pull_requests : undefined);
    const needs = method === "GET" || method === "HEAD" ? ["read", "write"] : ["write"];
    return level && needs.includes(level) ? undefined : { status: 403, message: "Resource not accessible by integration" };
  }

  /** The `workflows` permission of `token` (`write`, `read` or `none`): a push that changes a workflow file needs `write`. */
  workflowsLevel(token: string): string {
    return this.tokens.get(token)?.permissions.workflows ?? "none";
  }

  /** Why `token` may not fetch (or, `pushing`, push to) this repository over git, or undefined. */
  gitRefuses(token: string, pushing: boolean): { status: number; message: string } | undefined {
    const scope = this.tokens.get(token);
    if (!scope) return { status: 401, message: "Bad credentials" };
    if (scope.repositories !== "all" && !scope.repositories.includes(this.repo)) return { status: 404, message: "Repository not found." };
    const level = scope.permissions.contents;
    if (pushing && level !== "write") return { status: 403, message: `Write access to repository not granted.` };
    if (!level) return { status: 403, message: "Read access to repository not granted." };
    return undefined;
  }

  /**
   * An installation token, as GitHub mints one: for every repository and permission of
   * the installation, or scoped down to the `repositories` / `repository_ids` and
   * `permissions` asked for (none of which may exceed the installation's).
   */
  private mintToken(body: Record<string, unknown>): DoubleResponse {
    const granted = this.shapes.app({ id: 1, slug: this.appSlug, name: "Software Factory" }).permissions as Record<string, string>;
    const names = Array.isArray(body.repositories) ? body.repositories.map(String) : undefined;
    const ids = Array.isArray(body.repository_ids) ? body.repository_ids.map(Number) : undefined;
    const repository = this.shapes.repository();
    if ((names && names.some((n) => n !== this.repo)) || (ids && ids.some((id) => id !== repository.id))) {
      return unprocessable("There is at least one repository that does not exist or is not accessible to the parent installation.");
    }
    const asked = body.permissions as Record<string, string> | undefined;
    if (asked) {
      const rank = (level: string | undefined) => (level === "write" ? 2 : level === "read" ? 1 : 0);
      const over = Object.entries(asked).filter(([name, level]) => rank(level) === 0 || rank(level) > rank(granted[name]));
      if (over.length) return unprocessable(`The permissions requested are not granted to this installation: ${over.map(([n, l]) => `${n}:${l}`).join(", ")}.`);
    }
    const scoped = Boolean(names || ids);
    const permissions = asked ? { ...asked, metadata: "read" } : granted;
    const token = `ghs_${sha1(`token:${this.tokens.size}:${this.clock}`).slice(0, 36)}`;
    this.tokens.set(token, { repositories: scoped ? [this.repo] : "all", permissions, ...(asked ? { scopedPermissions: true } : {}) });
    return created({
      token,
      expires_at: new Date(this.clock + 3_600_000).toISOString(),
      permissions,
      repository_selection: scoped ? "selected" : "all",
      ...(scoped ? { repositories: [repository] } : {}),
    });
  }

  private graphql(body: Record<string, unknown>): DoubleResponse {
    const query = String(body.query ?? "");
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    if (query.includes("markPullRequestReadyForReview")) return this.pullApi.draftMutation("markPullRequestReadyForReview", variables.id);
    if (query.includes("convertPullRequestToDraft")) return this.pullApi.draftMutation("convertPullRequestToDraft", variables.id);
    if (query.includes("reviewDecision")) {
      const pull = this.pullApi.pull(Number(variables.number));
      if (!pull) return ok({ data: { repository: { pullRequest: null } }, errors: [{ type: "NOT_FOUND", message: `Could not resolve to a PullRequest with the number of ${String(variables.number)}.` }] });
      return ok({ data: { repository: { pullRequest: { reviewDecision: this.reviews.decision(pull.number, pull.pull.base) } } } });
    }
    if (query.includes("pinIssue")) {
      const issue = [...this.issues.values()].find((i) => i.node_id === variables.id);
      if (!issue) return ok({ data: null, errors: [{ type: "NOT_FOUND", message: `Could not resolve to a node with the global id of '${String(variables.id)}'` }] });
      issue.pinned = true;
      return ok({ data: { pinIssue: { issue: { number: issue.number } } } });
    }
    return ok({ data: null, errors: [{ message: "the double does not implement this query" }] });
  }

  // ---- pushes --------------------------------------------------------------------------------

  /**
   * After branches moved (a `git push` over HTTP, a ref update through the API, a
   * merge, a person's commit): per moved branch a `push` (`created`, `deleted`,
   * `forced` as they were), CI's queued check runs on a new head of a branch other
   * than the default, and a `synchronize` for each open PR whose head moved. A
   * deleted branch is also announced as `delete`, and closes the open PRs from it.
   */
  refsPushed(before: Map<string, string>, pusher: string | DoubleUser): void {
    const after = this.refs;
    const sender = typeof pusher !== "string" ? pusher : pusher === "x-access-token" ? this.bot : this.user(pusher, pusher.endsWith("[bot]") ? "Bot" : "User");
    for (const ref of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(ref);
      const sha = after.get(ref);
      if (old === sha || !ref.startsWith("heads/")) continue;
      const branch = ref.slice("heads/".length);
      this.emit("push", undefined, sender, this.pushPayload(ref, old, sha, sender, after));
      if (sha === undefined) {
        this.emit("delete", undefined, sender, { ref: branch, ref_type: "branch", pusher_type: "user" });
        for (const pull of this.pulls().filter((p) => p.state === "open" && p.pull?.head === branch)) this.setState(pull, "closed", sender);
        continue;
      }
      if (old === undefined) this.emit("create", undefined, sender, { ref: branch, ref_type: "branch", master_branch: this.defaultBranch, description: null, pusher_type: "user" });
      // GitHub's rule: what a workflow pushes with its GITHUB_TOKEN starts no workflow.
      if (branch !== this.defaultBranch && this.ciChecks.length && sender.login !== "github-actions[bot]") this.startCi(sha);
      for (const pull of this.pulls().filter((p) => p.state === "open" && p.pull?.head === branch)) {
        const previous = pull.pull?.headSha;
        if (pull.pull) pull.pull.headSha = sha;
        pull.updated_at = this.now();
        this.emit("pull_request", "synchronize", sender, { number: pull.number, before: previous, after: sha, pull_request: this.pullApi.json(pull) });
      }
    }
  }

  /** Whether CI has check runs still to register or finish (a test waits for them). */
  get ciBusy(): boolean {
    return this.ciTimers.size > 0;
  }

  private startCi(sha: string): void {
    const names = [...this.ciChecks];
    const later = (ms: number, run: () => void) => {
      // No delay asked for: at once, inside the push (the double's tests assert on that).
      if (ms <= 0) return run();
      const timer = setTimeout(() => {
        this.ciTimers.delete(timer);
        run();
      }, ms);
      this.ciTimers.add(timer);
    };
    const register = () => {
      this.checks.queueCi(sha, names);
      const finish = this.ci.finish;
      if (finish) later(finish.afterMs, () => names.forEach((name) => this.completeCheck(sha, name, { conclusion: finish.conclusion })));
    };
    if (this.ci.held) this.heldCi.push(register);
    else later(this.ci.registerAfterMs, register);
  }

  /** CI, held until now, registers its check runs on every commit pushed meanwhile (then finishes as configured). */
  releaseCi(): void {
    for (const register of this.heldCi.splice(0)) register();
  }

  private pushPayload(ref: string, old: string | undefined, sha: string | undefined, sender: DoubleUser, after: Map<string, string>) {
    const zero = "0".repeat(40);
    const others = [...after].filter(([name]) => name !== ref).map(([, head]) => head);
    const list = sha === undefined ? [] : old ? this.git.commitsBetween(old, sha) : this.git.run(["rev-list", "--reverse", "--max-count=20", sha, ...(others.length ? ["--not", ...others] : [])]).split("\n").filter(Boolean).map((c) => this.git.commit(c));
    const commit = (c: DoubleCommit) => {
      const files = this.git.diffFiles(c.parents[0] ?? this.git.run(["hash-object", "-t", "tree", "/dev/null"]), c.sha, { direct: true });
      const pick = (status: string) => files.filter((f) => f.status === status).map((f) => f.filename);
      return {
        id: c.sha,
        tree_id: c.tree,
        distinct: true,
        message: c.message.trimEnd(),
        timestamp: c.committer.date,
        url: this.shapes.web(`/commit/${c.sha}`),
        author: { name: c.author.name, email: c.author.email },
        committer: { name: c.committer.name, email: c.committer.email },
        added: pick("added"),
        removed: pick("removed"),
        modified: files.filter((f) => f.status !== "added" && f.status !== "removed").map((f) => f.filename),
      };
    };
    return {
      ref: `refs/${ref}`,
      before: old ?? zero,
      after: sha ?? zero,
      created: old === undefined,
      deleted: sha === undefined,
      forced: old !== undefined && sha !== undefined && !this.git.isAncestor(old, sha),
      base_ref: null,
      compare: this.shapes.web(`/compare/${(old ?? zero).slice(0, 12)}...${(sha ?? zero).slice(0, 12)}`),
      commits: list.map(commit),
      head_commit: sha === undefined ? null : commit(this.git.commit(sha)),
      // An app's noreply address ("…[bot]@…") is not an email the schema accepts; GitHub sends none for it.
      pusher: { name: sender.login, email: sender.type === "Bot" ? null : `${sender.id}+${sender.login}@users.noreply.github.com` },
    };
  }

  // ---- webhooks ------------------------------------------------------------------------------

  /** Announces a change as GitHub's webhook: the fields, plus the repository, organization, installation and sender. */
  emit(name: string, action: string | undefined, sender: DoubleUser, fields: Record<string, unknown>): void {
    const org = `https://api.github.com/orgs/${this.owner}`;
    this.onEvent({
      name,
      payload: {
        ...(action ? { action } : {}),
        ...fields,
        repository: this.shapes.repository(),
        organization: {
          login: this.owner,
          id: 1,
          node_id: "O_kgDOAAAAAQ",
          url: org,
          repos_url: `${org}/repos`,
          events_url: `${org}/events`,
          hooks_url: `${org}/hooks`,
          issues_url: `${org}/issues`,
          members_url: `${org}/members{/member}`,
          public_members_url: `${org}/public_members{/member}`,
          avatar_url: "https://avatars.githubusercontent.com/u/1?v=4",
          description: null,
        },
        installation: { id: this.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
        sender: this.shapes.user(sender),
      },
    });
  }

  /** An issue event, or its pull_request twin when the issue is a PR (as GitHub sends for labels on PRs). */
  emitIssue(issue: DoubleIssue, action: string, sender: DoubleUser, fields: Record<string, unknown> = {}): void {
    if (issue.pull) this.emit("pull_request", action, sender, { number: issue.number, pull_request: this.pullApi.json(issue), ...fields });
    else this.emit("issues", action, sender, { issue: this.issueApi.issueJson(issue), ...fields });
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The repository's label named `name` (in any case), made if there is none; its spelling. */
  ensureLabel(name: string): string {
    const existing = [...this.labels.keys()].find((known) => known.toLowerCase() === name.toLowerCase());
    if (existing !== undefined) return existing;
    this.labels.set(name, { name, color: "ededed", description: null });
    return name;
  }

  mustIssue(n: number): DoubleIssue {
    const issue = this.issues.get(n);
    if (!issue) throw new Error(`no issue #${n}`);
    return issue;
  }

  /** Resolves a branch name, a tag or a sha to a commit sha. */
  resolveCommit(ref: string): string | undefined {
    return this.git.refSha(`heads/${ref}`) ?? this.git.refSha(`tags/${ref}`) ?? (this.git.hasCommit(ref) ? ref : undefined);
  }

  /** Strictly increasing, starting at the wall clock: tests can `tick` it forward. */
  now(): string {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock).toISOString();
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
