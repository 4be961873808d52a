/**
 * What the line needs of GitHub, as narrow interfaces (ports). `github/repo-port.ts`
 * implements every one of them over Octokit; a stage asks only for the ports it uses,
 * so its logic can be tested against an in-memory repository (test/support/memory-repo.ts)
 * and the GitHub double is left to the end-to-end tests.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface Comment {
  id: number;
  body: string;
  authorLogin: string | undefined;
  authorType: string | undefined;
  createdAt: string;
}

export interface PullRef {
  number: number;
  headRef: string;
  headSha: string;
  /** The branch it merges into. */
  baseRef?: string;
  title?: string;
  createdAt: string;
  nodeId: string;
  draft?: boolean;
  /** `getPull` only: open or closed, and whether it was merged. */
  state?: string;
  merged?: boolean;
}

export interface ChangedFile {
  path: string;
  additions: number;
  deletions: number;
  status: string;
}

/** An issue's or PR's conversation: where records and views live. */
export interface ThreadsPort {
  readonly ref: RepoRef;
  readonly fullName: string;
  listIssueComments(issue: number): Promise<Comment[]>;
  createComment(issue: number, body: string): Promise<Comment>;
  updateComment(commentId: number, body: string): Promise<void>;
}

export interface LabelsPort {
  /** Creates the label on first use; an existing label is left as the repository has it. */
  ensureLabel(name: string, color: string, description: string): Promise<void>;
  addLabels(issue: number, labels: string[]): Promise<void>;
  issueLabels(issue: number): Promise<string[]>;
  /** Removing a label that is not there is no error. */
  removeLabel(issue: number, name: string): Promise<void>;
}

/** Branches and the artifact's pull request, as intake opens them. */
export interface BranchesPort {
  branchHead(branch: string): Promise<{ sha: string; treeSha: string }>;
  createEmptyCommit(parentSha: string, treeSha: string, message: string): Promise<string>;
  /** `exists` when the branch was already there (a redelivery or another instance). */
  createBranch(branch: string, sha: string): Promise<"created" | "exists">;
  /** A branch already gone is no error. */
  deleteBranch(branch: string): Promise<void>;
  /** The branches named for `issue` under `prefix` (`<prefix><issue>-<slug>`), whatever their slug. */
  artifactBranches(prefix: string, issue: number): Promise<string[]>;
  /** The open PR whose head is `head` in this repository, if any. */
  findOpenPull(head: string): Promise<PullRef | undefined>;
  /** A draft PR, or the one already open for `head` (`created: false`); `wip` when drafts were refused. */
  openDraftPull(input: { title: string; head: string; base: string; body: string }): Promise<{ pull: PullRef; created: boolean; wip: boolean }>;
}

export interface PullFilesPort {
  /** The PR's changed files. */
  pullFiles(pr: number): Promise<ChangedFile[]>;
}
