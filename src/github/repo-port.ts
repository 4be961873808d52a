import { unzipSync } from "fflate";
import type { ProbotOctokit } from "probot";
import { sized, titled } from "../line/body.js";
import { cutToBytes } from "../line/text.js";
import type { BranchesPort, ChangedFile, Comment, LabelsPort, PullFilesPort, PullRef, RepoRef, ThreadsPort } from "../ports/github.js";
import type { ArtifactStore } from "../state/artifact-store.js";
import { isBranchMoved, statusOf, validationMessages } from "./errors.js";

export interface CheckRun {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  appSlug: string | undefined;
  url: string | undefined;
  output: { title: string | undefined; summary: string | undefined; text: string | undefined; annotations: number };
}

export type { ChangedFile, Comment, PullRef, RepoRef } from "../ports/github.js";

/** The artifact store over the whole of GitHub: what orchestration holds. */
export type GitHubStore = ArtifactStore<RepoPort>;

export interface ListedIssue {
  number: number;
  title: string;
  state: string;
  authorLogin: string | undefined;
  authorType: string | undefined;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  body: string;
  nodeId: string;
  isPull: boolean;
  /** The issue's own reactions: 👍, 👎, and the other positive ones. */
  reactions?: { up: number; down: number; other: number };
  comments?: number | undefined;
  authorAssociation?: string | undefined;
  milestone?: string | undefined;
}

/** A failure at a line of a file, shown on the PR's diff by a check run (GitHub takes 50 per request). */
export interface Annotation {
  path: string;
  line: number;
  title?: string;
  message: string;
}

/** GitHub's limit on a check run's summary, text and annotation message: 65,535 UTF-8 bytes each (not characters). */
export const CHECK_OUTPUT_BYTES = 65_535;

/** A check run's text within GitHub's limit in bytes, saying so when it was cut. */
function fitOutput(text: string): string {
  if (Buffer.byteLength(text) <= CHECK_OUTPUT_BYTES) return text;
  const note = "\n\n… (cut to fit GitHub's check-run limit; the PR comment has the rest)";
  return cutToBytes(text, CHECK_OUTPUT_BYTES - Buffer.byteLength(note)) + note;
}

function checkOutput(input: { title: string; summary: string; text?: string; annotations?: Annotation[] }) {
  const annotations = (input.annotations ?? []).slice(0, 50).map((a) => ({
    path: a.path,
    start_line: a.line,
    end_line: a.line,
    annotation_level: "failure" as const,
    message: fitOutput(a.message),
    ...(a.title ? { title: a.title.slice(0, 255) } : {}),
  }));
  return { title: input.title, summary: fitOutput(input.summary), ...(input.text ? { text: fitOutput(input.text) } : {}), ...(annotations.length ? { annotations } : {}) };
}

export type Reaction = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

interface CommentLike {
  id: number;
  body?: string | null;
  user: { login: string; type: string } | null;
  created_at: string;
}

function toComment(c: CommentLike): Comment {
  return { id: c.id, body: c.body ?? "", authorLogin: c.user?.login, authorType: c.user?.type, createdAt: c.created_at };
}

interface CachedPermission {
  role: string;
  permission: string;
  expires: number;
}

const PERMISSION_TTL_MS = 60_000;

/** What one app instance remembers between events; each instance (and each test) has its own. */
export class PortCaches {
  /** Labels already made sure of, per repository: creating one is a content-creating request. */
  readonly labels = new Map<string, Set<string>>();
  /** Collaborator roles, briefly. */
  readonly permissions = new Map<string, CachedPermission>();
  /** Blob texts by sha: blobs never change, so a second read of the same code costs nothing. */
  readonly blobs = new Map<string, string>();
  /** A pull request's head branch (it never changes), per `owner/repo#number`. */
  readonly pullHeads = new Map<string, string>();
  /** A branch's required status checks (branch protection and rulesets), for a few minutes. */
  readonly requiredChecks = new Map<string, { checks: string[]; expires: number }>();
  /** What the demand queue learns from a finished artifact, per `owner/repo#issue`: a done artifact's records no longer change. */
  readonly finished = new Map<string, FinishedArtifact>();
}

/** A done artifact as the demand queue's outcomes read it. */
export interface FinishedArtifact {
  title: string;
  merged: boolean;
  reviewRounds: number;
}

/** What marks a PR that could not be a draft as work in progress. */
export const WIP_MARK = "[WIP] ";

const REQUIRED_CHECKS_TTL_MS = 5 * 60_000;

const BLOB_CACHE_LIMIT = 20_000;

/** An issue (or PR) as listings and `issues.get` answer it, in the shape the line reads. */
type IssueData = Awaited<ReturnType<ProbotOctokit["rest"]["issues"]["get"]>>["data"];
function listedIssue(i: IssueData): ListedIssue {
  return {
    number: i.number,
    title: i.title,
    state: i.state,
    authorLogin: i.user?.login,
    authorType: i.user?.type,
    labels: i.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))),
    createdAt: i.created_at,
    updatedAt: i.updated_at,
    body: i.body ?? "",
    nodeId: i.node_id,
    isPull: i.pull_request !== undefined,
    reactions: { up: i.reactions?.["+1"] ?? 0, down: i.reactions?.["-1"] ?? 0, other: (i.reactions?.heart ?? 0) + (i.reactions?.hooray ?? 0) + (i.reactions?.rocket ?? 0) + (i.reactions?.laugh ?? 0) },
    comments: i.comments,
    authorAssociation: i.author_association,
    milestone: i.milestone?.title,
  };
}

/**
 * Every GitHub call the app makes goes through here, for one repository. Methods
 * are small and named for what they achieve; "ensure" methods are idempotent.
 */
export class RepoPort implements ThreadsPort, LabelsPort, BranchesPort, PullFilesPort {
  constructor(
    readonly octokit: ProbotOctokit,
    readonly ref: RepoRef,
    private readonly caches: PortCaches = new PortCaches(),
  ) {}

  get fullName(): string {
    return `${this.ref.owner}/${this.ref.repo}`;
  }

  async listIssueComments(issue: number): Promise<Comment[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...this.ref,
      issue_number: issue,
      per_page: 100,
    });
    return comments.map(toComment);
  }

  async createComment(issue: number, body: string): Promise<Comment> {
    const { data } = await this.octokit.rest.issues.createComment({ ...this.ref, issue_number: issue, body: sized(body) });
    return toComment(data);
  }

  async updateComment(commentId: number, body: string): Promise<void> {
    await this.octokit.rest.issues.updateComment({ ...this.ref, comment_id: commentId, body: sized(body) });
  }

  async deleteComment(commentId: number): Promise<void> {
    try {
      await this.octokit.rest.issues.deleteComment({ ...this.ref, comment_id: commentId });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async react(commentId: number, content: Reaction): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({ ...this.ref, comment_id: commentId, content });
  }

  /** Creates the label with its colour and description on first use; an existing label is left as the repository has it. */
  async ensureLabel(name: string, color: string, description: string): Promise<void> {
    const key = this.fullName.toLowerCase();
    const known = this.caches.labels.get(key) ?? new Set<string>();
    this.caches.labels.set(key, known);
    if (known.has(name)) return;
    try {
      await this.octokit.rest.issues.createLabel({ ...this.ref, name, color, description });
    } catch (error) {
      if (statusOf(error) !== 422 || !/already_exists/.test(validationMessages(error))) throw error;
    }
    known.add(name);
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.octokit.rest.issues.addLabels({ ...this.ref, issue_number: issue, labels });
  }

  async issueLabels(issue: number): Promise<string[]> {
    const labels = await this.octokit.paginate(this.octokit.rest.issues.listLabelsOnIssue, { ...this.ref, issue_number: issue, per_page: 100 });
    return labels.map((l) => l.name);
  }

  async removeLabel(issue: number, name: string): Promise<void> {
    try {
      await this.octokit.rest.issues.removeLabel({ ...this.ref, issue_number: issue, name });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** One request gives both the head commit and its tree. */
  async branchHead(branch: string): Promise<{ sha: string; treeSha: string }> {
    const { data } = await this.octokit.rest.repos.getBranch({ ...this.ref, branch });
    return { sha: data.commit.sha, treeSha: data.commit.commit.tree.sha };
  }

  /** A commit with its parent's tree: lets a draft PR exist before any code does. */
  async createEmptyCommit(parentSha: string, treeSha: string, message: string): Promise<string> {
    const { data } = await this.octokit.rest.git.createCommit({ ...this.ref, message, tree: treeSha, parents: [parentSha] });
    return data.sha;
  }

  /** `created`, or `exists` when the branch was already there (a redelivery or another instance). */
  async createBranch(branch: string, sha: string): Promise<"created" | "exists"> {
    try {
      await this.octokit.rest.git.createRef({ ...this.ref, ref: `refs/heads/${branch}`, sha });
      return "created";
    } catch (error) {
      if (statusOf(error) === 422 && /already exists/i.test(validationMessages(error))) return "exists";
      throw error;
    }
  }

  async artifactBranches(prefix: string, issue: number): Promise<string[]> {
    // GitHub lists the refs that start with the name. With the dash, `factory/12-` finds this issue's branches only
    // (`factory/12` would page through `factory/120-…` to `factory/129…` too); intake's names always have a slug.
    const refs = await this.octokit.paginate(this.octokit.rest.git.listMatchingRefs, { ...this.ref, ref: `heads/${prefix}${issue}-`, per_page: 100 });
    return refs.map((r) => r.ref.replace(/^refs\/heads\//, ""));
  }

  /** Deletes a branch; one already gone is no error (an earlier try deleted it). */
  async deleteBranch(branch: string): Promise<void> {
    try {
      await this.octokit.rest.git.deleteRef({ ...this.ref, ref: `heads/${branch}` });
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 422) throw error;
    }
  }

  /**
   * Opens a draft PR. GitHub allows one open PR per head and base: when one is
   * already open (an earlier try whose answer was lost), it is returned instead,
   * with `created: false`. Where drafts are refused (a private repository on a plan
   * without them answers 422), a normal PR is opened with its title marked
   * `WIP_MARK`, and `wip` says so.
   */
  async openDraftPull(input: { title: string; head: string; base: string; body: string }): Promise<{ pull: PullRef; created: boolean; wip: boolean }> {
    try {
      return { ...(await this.openPullOnce({ ...input, draft: true })), wip: false };
    } catch (error) {
      if (statusOf(error) !== 422 || !/draft pull requests are not supported/i.test(validationMessages(error))) throw error;
      return { ...(await this.openPullOnce({ ...input, title: `${WIP_MARK}${input.title}`, draft: false })), wip: true };
    }
  }

  /** Takes the work-in-progress mark off a PR's title (once it is verified), if it is there. */
  async unmarkWip(number: number, title: string): Promise<void> {
    if (!title.startsWith(WIP_MARK)) return;
    await this.octokit.rest.pulls.update({ ...this.ref, pull_number: number, title: title.slice(WIP_MARK.length) });
  }

  private async openPullOnce(input: { title: string; head: string; base: string; body: string; draft: boolean }): Promise<{ pull: PullRef; created: boolean }> {
    try {
      const { data } = await this.octokit.rest.pulls.create({ ...this.ref, ...input, title: titled(input.title), body: sized(input.body) });
      return { pull: { number: data.number, headRef: data.head.ref, headSha: data.head.sha, createdAt: data.created_at, nodeId: data.node_id }, created: true };
    } catch (error) {
      if (statusOf(error) !== 422 || !/already exists/i.test(validationMessages(error))) throw error;
      const existing = await this.findOpenPull(input.head);
      if (!existing) throw error;
      return { pull: existing, created: false };
    }
  }

  async findOpenPull(head: string): Promise<PullRef | undefined> {
    const { data } = await this.octokit.rest.pulls.list({ ...this.ref, head: `${this.ref.owner}:${head}`, state: "open", per_page: 1 });
    const pull = data[0];
    return pull && { number: pull.number, headRef: pull.head.ref, headSha: pull.head.sha, createdAt: pull.created_at, nodeId: pull.node_id };
  }

  async getPull(number: number): Promise<PullRef> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.ref, pull_number: number });
    return { number: data.number, title: data.title, headRef: data.head.ref, headSha: data.head.sha, baseRef: data.base.ref, createdAt: data.created_at, nodeId: data.node_id, draft: data.draft ?? false, state: data.state, merged: data.merged };
  }

  /**
   * The status checks a merge into `branch` requires: its branch protection's (as
   * "get a branch" shows it to anyone who can read the repository) and every
   * ruleset's that applies to it, by name. Read once per branch every few minutes.
   */
  async requiredChecks(branch: string): Promise<string[]> {
    const key = `${this.fullName}@${branch}`.toLowerCase();
    const cached = this.caches.requiredChecks.get(key);
    if (cached && cached.expires > Date.now()) return cached.checks;
    const names = new Set<string>();
    const { data } = await this.octokit.rest.repos.getBranch({ ...this.ref, branch });
    const protection = data.protection?.required_status_checks;
    if (data.protection?.enabled !== false && protection?.enforcement_level !== "off") {
      for (const name of protection?.contexts ?? []) names.add(name);
      for (const check of protection?.checks ?? []) names.add(check.context);
    }
    try {
      const rules = await this.octokit.paginate(this.octokit.rest.repos.getBranchRules, { ...this.ref, branch, per_page: 100 });
      for (const rule of rules) {
        if (rule.type !== "required_status_checks") continue;
        for (const check of rule.parameters?.required_status_checks ?? []) names.add(check.context);
      }
    } catch (error) {
      // Rulesets are not there on every GitHub (an older Enterprise Server answers 404).
      if (statusOf(error) !== 404) throw error;
    }
    const checks = [...names].sort();
    if (this.caches.requiredChecks.size > 1_000) this.caches.requiredChecks.clear();
    this.caches.requiredChecks.set(key, { checks, expires: Date.now() + REQUIRED_CHECKS_TTL_MS });
    return checks;
  }

  /** A PR's head branch, which never changes: read once per process. */
  async pullHeadRef(number: number): Promise<string> {
    const key = `${this.fullName}#${number}`.toLowerCase();
    const cached = this.caches.pullHeads.get(key);
    if (cached !== undefined) return cached;
    const { headRef } = await this.getPull(number);
    if (this.caches.pullHeads.size > 10_000) this.caches.pullHeads.clear();
    this.caches.pullHeads.set(key, headRef);
    return headRef;
  }

  /** The user's role (`admin`, `maintain`, `write`, `triage`, `read`, or a custom role), cached briefly. */
  async permission(username: string): Promise<{ role: string; permission: string }> {
    const key = `${this.fullName}/${username}`.toLowerCase();
    const cached = this.caches.permissions.get(key);
    if (cached && cached.expires > Date.now()) return cached;
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.ref, username });
      const entry = { role: data.role_name, permission: data.permission, expires: Date.now() + PERMISSION_TTL_MS };
      this.caches.permissions.set(key, entry);
      return entry;
    } catch (error) {
      // GitHub answers 404 for someone who is not a collaborator at all.
      if (statusOf(error) === 404) return { role: "none", permission: "none" };
      throw error;
    }
  }

  /** Issues (and PRs) with a label; `since` keeps those updated at or after that time, which GitHub answers from an index (one page for a recent time). */
  async listIssuesWithLabel(label: string | undefined, state: "open" | "all", since?: string): Promise<ListedIssue[]> {
    const issues = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
      ...this.ref,
      ...(label !== undefined ? { labels: label } : {}),
      state,
      per_page: 100,
      ...(since !== undefined ? { since, sort: "updated" as const, direction: "asc" as const } : {}),
    });
    return issues.map(listedIssue);
  }

  /** A finished artifact the demand queue read before, from this process's cache (`PortCaches.finished`). */
  knownFinished(issue: number): FinishedArtifact | undefined {
    return this.caches.finished.get(`${this.fullName}#${issue}`.toLowerCase());
  }

  rememberFinished(issue: number, finished: FinishedArtifact): void {
    if (this.caches.finished.size > 10_000) this.caches.finished.clear();
    this.caches.finished.set(`${this.fullName}#${issue}`.toLowerCase(), finished);
  }

  /** The newest `max` issues (and PRs) with `label`, newest first, open or closed: only the pages that hold them are read. */
  async newestIssuesWithLabel(label: string, max: number): Promise<ListedIssue[]> {
    const issues: ListedIssue[] = [];
    const perPage = Math.min(100, Math.max(1, max));
    for await (const { data } of this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, { ...this.ref, labels: label, state: "all", sort: "created", direction: "desc", per_page: perPage })) {
      issues.push(...data.map(listedIssue));
      if (issues.length >= max) break;
    }
    return issues.slice(0, max);
  }

  /** One issue as the listings show it; undefined when there is none. */
  async getIssue(number: number): Promise<ListedIssue | undefined> {
    try {
      const { data } = await this.octokit.rest.issues.get({ ...this.ref, issue_number: number });
      return listedIssue(data);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Closes an issue as not planned (a duplicate the app made). */
  async closeIssue(issue: number): Promise<void> {
    await this.octokit.rest.issues.update({ ...this.ref, issue_number: issue, state: "closed", state_reason: "not_planned" });
  }

  async createIssue(input: { title: string; body: string; labels: string[] }): Promise<{ number: number; nodeId: string }> {
    const { data } = await this.octokit.rest.issues.create({ ...this.ref, ...input, title: titled(input.title), body: sized(input.body) });
    return { number: data.number, nodeId: data.node_id };
  }

  async updateIssueBody(issue: number, body: string): Promise<void> {
    await this.octokit.rest.issues.update({ ...this.ref, issue_number: issue, body: sized(body) });
  }

  /** Every blob at a commit, in one call; `truncated` when GitHub cut a very large tree short. */
  async tree(sha: string): Promise<{ files: Array<{ path: string; size: number; sha: string }>; truncated: boolean }> {
    const { data } = await this.octokit.rest.git.getTree({ ...this.ref, tree_sha: sha, recursive: "1" });
    const files = data.tree
      .filter((e) => e.type === "blob" && e.path && e.sha && e.mode !== "120000")
      .map((e) => ({ path: e.path as string, size: e.size ?? 0, sha: e.sha as string }));
    return { files, truncated: data.truncated };
  }

  /** A blob's text; `fetched` is false when the instance had it already (no request made). */
  async blob(sha: string): Promise<{ text: string; fetched: boolean }> {
    const cached = this.caches.blobs.get(sha);
    if (cached !== undefined) return { text: cached, fetched: false };
    const { data } = await this.octokit.rest.git.getBlob({ ...this.ref, file_sha: sha });
    const text = data.encoding === "base64" ? Buffer.from(data.content, "base64").toString("utf8") : data.content;
    if (this.caches.blobs.size > BLOB_CACHE_LIMIT) this.caches.blobs.clear();
    this.caches.blobs.set(sha, text);
    return { text, fetched: true };
  }

  hasBlob(sha: string): boolean {
    return this.caches.blobs.has(sha);
  }

  /** Commit messages, newest first, from `sha`. */
  async commitMessages(sha: string, count: number): Promise<Array<{ sha: string; message: string }>> {
    const { data } = await this.octokit.rest.repos.listCommits({ ...this.ref, sha, per_page: Math.min(100, count) });
    return data.map((c) => ({ sha: c.sha, message: c.commit.message }));
  }

  async commitFiles(sha: string): Promise<string[]> {
    const { data } = await this.octokit.rest.repos.getCommit({ ...this.ref, ref: sha, per_page: 100 });
    return (data.files ?? []).map((f) => f.filename);
  }

  /** A commit's parents, oldest first (the git data API: no file list to page through). */
  async commitParents(sha: string): Promise<string[]> {
    return (await this.gitCommit(sha)).parents;
  }

  /** A commit's parents (oldest first) and message, in one request. */
  async gitCommit(sha: string): Promise<{ parents: string[]; message: string }> {
    const { data } = await this.octokit.rest.git.getCommit({ ...this.ref, commit_sha: sha });
    return { parents: data.parents.map((p) => p.sha), message: data.message };
  }

  /** `workflow_dispatch` on a workflow file of this repository; GitHub answers 204 with nothing to read. */
  async dispatchWorkflow(workflow: string, ref: string, inputs: Record<string, string>): Promise<void> {
    await this.octokit.rest.actions.createWorkflowDispatch({ ...this.ref, workflow_id: workflow, ref, inputs });
  }

  /** The newest dispatched run of `workflow` whose title is `title` (the cell workflow's `run-name`), if GitHub lists one yet. */
  async findWorkflowRunTitled(workflow: string, title: string): Promise<{ id: number; status: string | null } | undefined> {
    const { data } = await this.octokit.rest.actions.listWorkflowRuns({ ...this.ref, workflow_id: workflow, event: "workflow_dispatch", per_page: 100 });
    const run = data.workflow_runs.find((r) => r.display_title === title);
    return run && { id: run.id, status: run.status };
  }

  /** Cancels the unfinished dispatched run of `workflow` whose title is `title`; false when there is none. */
  async cancelWorkflowRunTitled(workflow: string, title: string): Promise<boolean> {
    const run = await this.findWorkflowRunTitled(workflow, title);
    if (!run || run.status === "completed") return false;
    try {
      await this.octokit.rest.actions.cancelWorkflowRun({ ...this.ref, run_id: run.id });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  /** Files from a workflow run's artifact (a zip GitHub serves behind a redirect): each as bytes, or absent; undefined when the artifact is. */
  async workflowArtifactFiles(runId: number, artifact: string, files: readonly string[]): Promise<Map<string, Buffer> | undefined> {
    const { data } = await this.octokit.rest.actions.listWorkflowRunArtifacts({ ...this.ref, run_id: runId, per_page: 100 });
    const found = data.artifacts.find((a) => a.name === artifact && !a.expired);
    if (!found) return undefined;
    const zip = await this.octokit.rest.actions.downloadArtifact({ ...this.ref, artifact_id: found.id, archive_format: "zip" });
    const entries = unzipSync(new Uint8Array(zip.data as ArrayBuffer), { filter: (entry) => files.includes(entry.name) });
    return new Map(Object.entries(entries).map(([name, bytes]) => [name, Buffer.from(bytes)]));
  }

  /** Every check run on a commit (paginated), as the verifier reads them. */
  async checkRuns(sha: string): Promise<CheckRun[]> {
    const runs = await this.octokit.paginate(this.octokit.rest.checks.listForRef, { ...this.ref, ref: sha, per_page: 100, filter: "latest" });
    return runs.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      conclusion: r.conclusion,
      appSlug: r.app?.slug,
      url: r.html_url ?? r.details_url ?? undefined,
      output: { title: r.output.title ?? undefined, summary: r.output.summary ?? undefined, text: r.output.text ?? undefined, annotations: r.output.annotations_count },
    }));
  }

  async checkRunAnnotations(id: number): Promise<Array<{ path: string; line: number; level: string; message: string; title: string | undefined }>> {
    const list = await this.octokit.paginate(this.octokit.rest.checks.listAnnotations, { ...this.ref, check_run_id: id, per_page: 100 });
    return list.map((a) => ({ path: a.path, line: a.start_line, level: a.annotation_level ?? "failure", message: a.message ?? "", title: a.title ?? undefined }));
  }

  /** The latest status per context on a commit. */
  async commitStatuses(sha: string): Promise<Array<{ context: string; state: string; description: string | undefined; url: string | undefined }>> {
    const { data } = await this.octokit.rest.repos.getCombinedStatusForRef({ ...this.ref, ref: sha, per_page: 100 });
    return data.statuses.map((s) => ({ context: s.context, state: s.state, description: s.description ?? undefined, url: s.target_url ?? undefined }));
  }

  /** A GitHub Actions job's log (its check run id is the job id); undefined when it is gone or not an Actions job. */
  async actionsJobLog(jobId: number): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.actions.downloadJobLogsForWorkflowRun({ ...this.ref, job_id: jobId });
      return typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8");
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 410) return undefined;
      throw error;
    }
  }

  async createCheckRun(input: { name: string; sha: string; status: "in_progress" | "completed"; conclusion?: "success" | "failure" | "neutral"; title: string; summary: string; text?: string; detailsUrl?: string; annotations?: Annotation[] }): Promise<number> {
    const { data } = await this.octokit.rest.checks.create({
      ...this.ref,
      name: input.name,
      head_sha: input.sha,
      status: input.status,
      ...(input.conclusion ? { conclusion: input.conclusion, completed_at: new Date().toISOString() } : {}),
      ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
      output: checkOutput(input),
    });
    return data.id;
  }

  async updateCheckRun(id: number, input: { status: "in_progress" | "completed"; conclusion?: "success" | "failure" | "neutral"; title: string; summary: string; text?: string; annotations?: Annotation[] }): Promise<void> {
    await this.octokit.rest.checks.update({
      ...this.ref,
      check_run_id: id,
      status: input.status,
      ...(input.conclusion ? { conclusion: input.conclusion, completed_at: new Date().toISOString() } : {}),
      output: checkOutput(input),
    });
  }

  /** Draft → ready for review: GraphQL only (REST cannot change `draft`). */
  async markReadyForReview(pullNodeId: string): Promise<void> {
    await this.octokit.graphql(`mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }`, { id: pullNodeId });
  }

  /** The PR's changed files (paginated; GitHub lists at most 3,000). */
  async pullFiles(pr: number): Promise<ChangedFile[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { ...this.ref, pull_number: pr, per_page: 100 });
    return files.map((f) => ({ path: f.filename, additions: f.additions, deletions: f.deletions, status: f.status }));
  }

  async pullCommits(pr: number): Promise<Array<{ sha: string; date: string }>> {
    const commits = await this.octokit.paginate(this.octokit.rest.pulls.listCommits, { ...this.ref, pull_number: pr, per_page: 100 });
    return commits.map((c) => ({ sha: c.sha, date: c.commit.committer?.date ?? c.commit.author?.date ?? "" }));
  }

  async pullReviews(pr: number): Promise<Array<{ id: number; state: string; submittedAt: string; login: string | undefined }>> {
    const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.ref, pull_number: pr, per_page: 100 });
    return reviews.map((r) => ({ id: r.id, state: r.state, submittedAt: r.submitted_at ?? "", login: r.user?.login }));
  }

  /** The inline comments of one review. */
  async reviewComments(pr: number, review: number): Promise<Array<{ path: string; line: number | null; body: string; url: string }>> {
    const comments = await this.octokit.paginate(this.octokit.rest.pulls.listCommentsForReview, { ...this.ref, pull_number: pr, review_id: review, per_page: 100 });
    return comments.map((c) => ({ path: c.path, line: (c as { line?: number | null }).line ?? c.position ?? null, body: c.body, url: c.html_url }));
  }

  /**
   * Reads files at `branch`'s head and commits what `change` makes of them on exactly
   * that head. When the branch moved in between (GitHub refuses: not a fast forward),
   * it reads again and tries again, up to `tries` times, so what someone else wrote
   * meanwhile is built on, never written over, waiting a moment (longer each time,
   * jittered) so writers that met do not meet again. Past the tries the refusal is
   * thrown, and counts as transient: the event is tried again from a fresh read.
   * `change` answers undefined when there is nothing to write; `beforeWrite` runs
   * before each commit (a lease's check). The commit's sha, or undefined when nothing
   * was written.
   */
  async updateFiles(
    branch: string,
    change: (read: (path: string) => Promise<string | undefined>) => Promise<Record<string, string> | undefined>,
    message: string,
    options: { tries?: number; beforeWrite?: () => Promise<void> } = {},
  ): Promise<string | undefined> {
    const tries = options.tries ?? 3;
    for (let attempt = 1; ; attempt++) {
      const head = await this.branchHead(branch);
      const files = await change((path) => this.readFile(path, head.sha));
      if (!files) return undefined;
      await options.beforeWrite?.();
      try {
        return await this.writeFiles(branch, files, message, head);
      } catch (error) {
        if (attempt >= tries || !isBranchMoved(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * (100 + Math.random() * 200)));
      }
    }
  }

  /**
   * One commit with these files on `branch` through the Git Data API (a tree on the
   * parent's tree, a commit, a ref update without force), on top of `parent` when
   * given (the head the caller read them at: a branch that moved since is refused as
   * not a fast forward, 422, so the caller reads again instead of writing over what it
   * did not see), else on its head.
   */
  async writeFiles(branch: string, files: Record<string, string>, message: string, parent?: { sha: string; treeSha: string }): Promise<string> {
    const head = parent ?? (await this.branchHead(branch));
    const { data: tree } = await this.octokit.rest.git.createTree({
      ...this.ref,
      base_tree: head.treeSha,
      tree: Object.entries(files).map(([path, content]) => ({ path, mode: "100644" as const, type: "blob" as const, content })),
    });
    const { data: commit } = await this.octokit.rest.git.createCommit({ ...this.ref, message, tree: tree.sha, parents: [head.sha] });
    await this.octokit.rest.git.updateRef({ ...this.ref, ref: `heads/${branch}`, sha: commit.sha, force: false });
    return commit.sha;
  }

  /**
   * Where the PR stands on the reviews its base branch requires (branch protection or
   * rulesets, CODEOWNERS included), as GitHub decides it: null when none are required.
   */
  async reviewDecision(pr: number): Promise<"APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null> {
    const data = await this.octokit.graphql<{ repository: { pullRequest: { reviewDecision: "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null } | null } }>(
      `query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $number) { reviewDecision } } }`,
      { owner: this.ref.owner, repo: this.ref.repo, number: pr },
    );
    return data.repository.pullRequest?.reviewDecision ?? null;
  }

  /** How many commits `base` has that `head` lacks. */
  async behindBy(base: string, head: string): Promise<number> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.ref, basehead: `${base}...${head}`, per_page: 1 });
    return data.behind_by;
  }

  /** Merges `from` into the branch `into` with a merge commit (`POST /merges`): a push, so CI runs on it. */
  async mergeInto(into: string, from: string, message: string): Promise<{ state: "merged"; sha: string } | { state: "up-to-date" | "conflict" }> {
    try {
      const { status, data } = await this.octokit.rest.repos.merge({ ...this.ref, base: into, head: from, commit_message: message });
      // The types know 201 only; GitHub answers 204 when `into` already has `from`.
      return (status as number) === 204 ? { state: "up-to-date" } : { state: "merged", sha: data.sha };
    } catch (error) {
      if (statusOf(error) === 409) return { state: "conflict" };
      throw error;
    }
  }

  /** The repository's settings, read once per port (an event's, or a command's). */
  private settings: ReturnType<RepoPort["readSettings"]> | undefined;
  private async readSettings() {
    const { data } = await this.octokit.rest.repos.get({ ...this.ref });
    return data;
  }
  private repository() {
    this.settings ??= this.readSettings().catch((error: unknown) => {
      this.settings = undefined;
      throw error;
    });
    return this.settings;
  }

  async defaultBranch(): Promise<string> {
    return (await this.repository()).default_branch;
  }

  /** The merge methods the repository allows, in the order `/factory ship` prefers them. */
  async mergeMethods(): Promise<Array<"squash" | "merge" | "rebase">> {
    const data = await this.repository();
    return [data.allow_squash_merge !== false ? "squash" : undefined, data.allow_merge_commit !== false ? "merge" : undefined, data.allow_rebase_merge !== false ? "rebase" : undefined].filter((m): m is "squash" | "merge" | "rebase" => m !== undefined);
  }

  /** Merges the PR at exactly `sha` (GitHub refuses if the head moved); protection applies as to anyone without bypass. */
  async mergePull(pr: number, sha: string, method: "merge" | "squash" | "rebase"): Promise<string> {
    const { data } = await this.octokit.rest.pulls.merge({ ...this.ref, pull_number: pr, sha, merge_method: method });
    return data.sha;
  }

  /** The first 30 releases GitHub lists, drafts included (it lists drafts only to a token that can push, as the app's can). */
  async recentReleases(): Promise<Array<{ id: number; name: string | null; body: string; draft: boolean }>> {
    const { data } = await this.octokit.rest.repos.listReleases({ ...this.ref, per_page: 30 });
    return data.map((r) => ({ id: r.id, name: r.name, body: r.body ?? "", draft: r.draft }));
  }

  async createDraftRelease(input: { tag: string; name: string; body: string }): Promise<number> {
    const { data } = await this.octokit.rest.repos.createRelease({ ...this.ref, tag_name: input.tag, name: input.name, body: input.body, draft: true });
    return data.id;
  }

  async updateReleaseBody(id: number, body: string): Promise<void> {
    await this.octokit.rest.repos.updateRelease({ ...this.ref, release_id: id, body });
  }

  /** A ready (not draft) PR, for the analyst's notes and lessons; the one already open from `head`, if there is one. */
  async openPull(input: { title: string; head: string; base: string; body: string }): Promise<number> {
    return (await this.openPullOnce({ ...input, draft: false })).pull.number;
  }

  /** A file's text at a ref, or undefined when it is not there. */
  async readFile(path: string, ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...this.ref, path, ref, mediaType: { format: "raw" } });
      return typeof data === "string" ? data : undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Pinning exists only in GraphQL. */
  async pinIssue(nodeId: string): Promise<void> {
    await this.octokit.graphql(`mutation($id: ID!) { pinIssue(input: { issueId: $id }) { issue { number } } }`, { id: nodeId });
  }
}
