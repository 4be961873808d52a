import type { BranchesPort, ChangedFile, Comment, LabelsPort, PullFilesPort, PullRef, RepoRef, ThreadsPort } from "../../src/ports/github.js";

/** One call a stage made, in order: what a unit test asserts on instead of HTTP requests. */
export interface MemoryCall {
  method: string;
  args: unknown[];
}

/**
 * A repository in memory that implements the line's GitHub ports, for stage unit
 * tests: comments written by `author` (the app's bot by default), labels, branches
 * and one open PR per head. It keeps GitHub's rules the stages depend on (one open
 * PR per head, 404-free removal, `exists` for a branch that is there) and can be
 * told to refuse a PR, as GitHub does when a repository does not allow it.
 */
export class MemoryRepo implements ThreadsPort, LabelsPort, BranchesPort, PullFilesPort {
  readonly comments = new Map<number, Comment[]>();
  readonly labels = new Map<number, string[]>();
  readonly repoLabels = new Map<string, { color: string; description: string }>();
  readonly branches = new Map<string, { sha: string; treeSha: string }>();
  readonly pulls: Array<PullRef & { base: string; title: string; body: string }> = [];
  readonly files = new Map<number, ChangedFile[]>();
  readonly calls: MemoryCall[] = [];
  /** When set, opening a PR throws it (a permanent refusal: GitHub's 422). */
  refusePull: Error | undefined;
  private nextId = 1000;
  private commits = 0;

  constructor(
    readonly ref: RepoRef = { owner: "acme", repo: "widgets" },
    private readonly author: { login: string; type: string } = { login: "software-factory[bot]", type: "Bot" },
  ) {
    this.branches.set("main", { sha: "base-sha", treeSha: "base-tree" });
  }

  get fullName(): string {
    return `${this.ref.owner}/${this.ref.repo}`;
  }

  private call(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** The methods called, in order (reads included). */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** A comment by someone else, as a person would write it. */
  addComment(issue: number, body: string, by: { login: string; type: string } = { login: "octocat", type: "User" }): Comment {
    const comment: Comment = { id: this.nextId++, body, authorLogin: by.login, authorType: by.type, createdAt: new Date(0).toISOString() };
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), comment]);
    return comment;
  }

  async listIssueComments(issue: number): Promise<Comment[]> {
    this.call("listIssueComments", issue);
    return (this.comments.get(issue) ?? []).map((c) => ({ ...c }));
  }

  async createComment(issue: number, body: string): Promise<Comment> {
    this.call("createComment", issue, body);
    return { ...this.addComment(issue, body, this.author) };
  }

  async updateComment(commentId: number, body: string): Promise<void> {
    this.call("updateComment", commentId, body);
    for (const thread of this.comments.values()) {
      const comment = thread.find((c) => c.id === commentId);
      if (comment) {
        comment.body = body;
        return;
      }
    }
    throw new Error(`no comment ${commentId}`);
  }

  async ensureLabel(name: string, color: string, description: string): Promise<void> {
    this.call("ensureLabel", name);
    if (!this.repoLabels.has(name)) this.repoLabels.set(name, { color, description });
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    this.call("addLabels", issue, labels);
    for (const label of labels) {
      if (!this.repoLabels.has(label)) this.repoLabels.set(label, { color: "ededed", description: "" });
    }
    this.labels.set(issue, [...new Set([...(this.labels.get(issue) ?? []), ...labels])]);
  }

  async issueLabels(issue: number): Promise<string[]> {
    this.call("issueLabels", issue);
    return [...(this.labels.get(issue) ?? [])];
  }

  async removeLabel(issue: number, name: string): Promise<void> {
    this.call("removeLabel", issue, name);
    this.labels.set(issue, (this.labels.get(issue) ?? []).filter((l) => l !== name));
  }

  async branchHead(branch: string): Promise<{ sha: string; treeSha: string }> {
    this.call("branchHead", branch);
    const head = this.branches.get(branch);
    if (!head) throw Object.assign(new Error(`Branch not found: ${branch}`), { status: 404 });
    return { ...head };
  }

  async createEmptyCommit(parentSha: string, treeSha: string, message: string): Promise<string> {
    this.call("createEmptyCommit", parentSha, treeSha, message);
    return `commit-${++this.commits}`;
  }

  async createBranch(branch: string, sha: string): Promise<"created" | "exists"> {
    this.call("createBranch", branch, sha);
    if (this.branches.has(branch)) return "exists";
    this.branches.set(branch, { sha, treeSha: "base-tree" });
    return "created";
  }

  async deleteBranch(branch: string): Promise<void> {
    this.call("deleteBranch", branch);
    this.branches.delete(branch);
  }

  async artifactBranches(prefix: string, issue: number): Promise<string[]> {
    this.call("artifactBranches", prefix, issue);
    return [...this.branches.keys()].filter((name) => name.startsWith(`${prefix}${issue}-`));
  }

  async findOpenPull(head: string): Promise<PullRef | undefined> {
    this.call("findOpenPull", head);
    return this.pulls.find((p) => p.headRef === head);
  }

  async openDraftPull(input: { title: string; head: string; base: string; body: string }): Promise<{ pull: PullRef; created: boolean; wip: boolean }> {
    this.call("openDraftPull", input);
    if (this.refusePull) throw this.refusePull;
    const open = this.pulls.find((p) => p.headRef === input.head);
    if (open) return { pull: open, created: false, wip: false };
    const head = this.branches.get(input.head);
    if (!head) throw Object.assign(new Error(`Validation Failed: head ${input.head} does not exist`), { status: 422 });
    const pull = { number: this.nextId++, headRef: input.head, headSha: head.sha, baseRef: input.base, createdAt: new Date(0).toISOString(), nodeId: `PR_${this.pulls.length + 1}`, draft: true, ...input };
    this.pulls.push(pull);
    return { pull, created: true, wip: false };
  }

  async pullFiles(pr: number): Promise<ChangedFile[]> {
    this.call("pullFiles", pr);
    return [...(this.files.get(pr) ?? [])];
  }
}
