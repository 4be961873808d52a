import type { GitHubDouble } from "../github-double.js";
import { association } from "./issues.js";
import type { DoubleIssue, DoublePull, DoubleResponse, DoubleUser } from "./model.js";
import { created, invalid, noContent, notFound, ok, paginate, route, textRefused, type Route } from "./router.js";

export interface MergeOptions {
  merge_method?: "merge" | "squash" | "rebase";
  commit_title?: string;
  commit_message?: string;
  /** The head the merger saw: GitHub refuses the merge when the head has moved since. */
  sha?: string;
}

const CLOSING = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b/gi;

/**
 * Pull requests: open, list, read, edit, their files and commits (from git, between
 * the base and the head), merging (a real merge, squash or rebase in the bare
 * repository), and the GraphQL draft mutations.
 */
export class PullsArea {
  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("POST", "/pulls", ({ body }) => this.create(body)),
      route("GET", "/pulls", ({ query }) => this.list(query)),
      route("GET", "/pulls/{pull_number}", ({ params }) => this.get(Number(params.pull_number))),
      route("PATCH", "/pulls/{pull_number}", ({ params, body }) => this.update(Number(params.pull_number), body)),
      route("GET", "/pulls/{pull_number}/files", ({ params, query }) => this.files(Number(params.pull_number), query)),
      route("GET", "/pulls/{pull_number}/commits", ({ params, query }) => this.commits(Number(params.pull_number), query)),
      route("GET", "/pulls/{pull_number}/merge", ({ params }) => this.checkMerged(Number(params.pull_number))),
      route("PUT", "/pulls/{pull_number}/merge", ({ params, body }) => this.merge(Number(params.pull_number), body as MergeOptions, this.d.bot)),
    ];
  }

  pull(n: number): (DoubleIssue & { pull: DoublePull }) | undefined {
    const issue = this.d.issues.get(n);
    return issue?.pull ? (issue as DoubleIssue & { pull: DoublePull }) : undefined;
  }

  /** The head's sha now (its branch may be gone: then the last one seen). */
  headSha(p: DoublePull): string {
    return this.d.git.refSha(`heads/${p.head}`) ?? p.headSha;
  }

  /** What the PR is compared against: the base branch, or where it was when the PR was merged. */
  baseSha(p: DoublePull): string {
    return p.merged?.baseSha ?? this.d.git.refSha(`heads/${p.base}`) ?? p.headSha;
  }

  // ---- shapes --------------------------------------------------------------------------

  /**
   * The full pull request. `mergeable` is computed only when asked (`detail`), as
   * GitHub computes it lazily: list entries and webhooks carry `null` and "unknown".
   */
  json(p: DoubleIssue, detail = false) {
    const { shapes } = this.d;
    const pull = p.pull as DoublePull;
    const head = this.headSha(pull);
    const base = this.baseSha(pull);
    const stat = this.d.git.diffStat(base, head);
    const url = shapes.api(`/pulls/${p.number}`);
    const issue = this.d.issueApi.issueJson(p);
    const mergeable = detail && p.state === "open" ? "tree" in this.d.git.mergeTree(base, head) : null;
    const link = (href: string) => ({ href });
    return {
      url,
      id: 500_000 + p.number,
      node_id: p.node_id,
      html_url: shapes.web(`/pull/${p.number}`),
      diff_url: shapes.web(`/pull/${p.number}.diff`),
      patch_url: shapes.web(`/pull/${p.number}.patch`),
      issue_url: shapes.api(`/issues/${p.number}`),
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: shapes.api("/pulls/comments{/number}"),
      comments_url: shapes.api(`/issues/${p.number}/comments`),
      statuses_url: shapes.api(`/statuses/${head}`),
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: shapes.user(p.user),
      body: p.body,
      labels: issue.labels,
      milestone: null,
      active_lock_reason: null,
      created_at: p.created_at,
      updated_at: p.updated_at,
      closed_at: issue.closed_at,
      merged_at: pull.merged?.at ?? null,
      merge_commit_sha: pull.merged?.sha ?? null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: { label: `${this.d.owner}:${pull.head}`, ref: pull.head, sha: head, user: shapes.ownerUser(), repo: shapes.repository() },
      base: { label: `${this.d.owner}:${pull.base}`, ref: pull.base, sha: base, user: shapes.ownerUser(), repo: shapes.repository() },
      _links: {
        self: link(url),
        html: link(shapes.web(`/pull/${p.number}`)),
        issue: link(shapes.api(`/issues/${p.number}`)),
        comments: link(shapes.api(`/issues/${p.number}/comments`)),
        review_comments: link(`${url}/comments`),
        review_comment: link(shapes.api("/pulls/comments{/number}")),
        commits: link(`${url}/commits`),
        statuses: link(shapes.api(`/statuses/${head}`)),
      },
      author_association: association(p.user),
      auto_merge: null,
      draft: pull.draft,
      merged: pull.merged !== undefined,
      mergeable,
      rebaseable: mergeable,
      mergeable_state: mergeable === null ? "unknown" : !mergeable ? "dirty" : pull.draft ? "draft" : "clean",
      merged_by: pull.merged ? shapes.user(pull.merged.by) : null,
      comments: issue.comments,
      review_comments: this.d.reviews.commentsOn(p.number).length,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: this.d.git.countBetween(base, head),
      additions: stat.additions,
      deletions: stat.deletions,
      changed_files: stat.files,
    };
  }

  // ---- routes --------------------------------------------------------------------------

  private create(body: Record<string, unknown>): DoubleResponse {
    const refused = textRefused("PullRequest", body, { title: 256, body: 65_536 });
    if (refused) return refused;
    if (this.d.pullsRefused) return invalid("PullRequest", "", "custom", this.d.pullsRefused);
    const head = String(body.head ?? "").replace(new RegExp(`^${this.d.owner}:`), "");
    const base = String(body.base ?? "");
    const headSha = this.d.git.refSha(`heads/${head}`);
    if (!this.d.git.refSha(`heads/${base}`)) return invalid("PullRequest", "base", "invalid");
    if (!headSha) return invalid("PullRequest", "head", "invalid");
    if (this.d.pulls().some((p) => p.state === "open" && p.pull?.head === head && p.pull.base === base)) {
      return invalid("PullRequest", "", "custom", `A pull request already exists for ${this.d.owner}:${head}.`);
    }
    if (this.d.git.commitsBetween(`refs/heads/${base}`, `refs/heads/${head}`).length === 0) {
      return invalid("PullRequest", "", "custom", `No commits between ${base} and ${head}`);
    }
    if (body.draft === true && !this.d.draftsAllowed) return invalid("PullRequest", "", "custom", "Draft pull requests are not supported in this repository.");
    const pull = this.d.newIssue(this.d.bot, String(body.title ?? ""), typeof body.body === "string" ? body.body : null);
    pull.node_id = `PR_kwDO${pull.number}`;
    pull.pull = { head, base, draft: body.draft === true, headSha, maintainerCanModify: body.maintainer_can_modify !== false };
    this.d.emit("pull_request", "opened", this.d.bot, { number: pull.number, pull_request: this.json(pull) });
    return created(this.json(pull, true));
  }

  private list(query: URLSearchParams): DoubleResponse {
    const head = query.get("head");
    const base = query.get("base");
    const state = query.get("state") ?? "open";
    const list = this.d
      .pulls()
      .filter((p) => state === "all" || p.state === state)
      .filter((p) => !head || `${this.d.owner}:${p.pull?.head}` === head)
      .filter((p) => !base || p.pull?.base === base)
      .sort((a, b) => b.number - a.number)
      .map((p) => this.json(p));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/pulls`);
  }

  private get(n: number): DoubleResponse {
    const pull = this.pull(n);
    return pull ? ok(this.json(pull, true)) : notFound();
  }

  /** `PATCH /pulls/{n}`: title, body, state, base. `draft` is not settable here on GitHub (GraphQL only), so it is ignored. */
  private update(n: number, body: Record<string, unknown>): DoubleResponse {
    const p = this.pull(n);
    if (!p) return notFound();
    const refused = textRefused("PullRequest", body, { title: 256, body: 65_536 });
    if (refused) return refused;
    const changes: Record<string, unknown> = {};
    if (typeof body.base === "string" && body.base !== p.pull.base) {
      const sha = this.d.git.refSha(`heads/${body.base}`);
      if (!sha) return invalid("PullRequest", "base", "invalid");
      if (p.state === "closed") return invalid("PullRequest", "base", "custom", "Cannot change the base branch of a closed pull request.");
      changes.base = { ref: { from: p.pull.base }, sha: { from: this.baseSha(p.pull) } };
      p.pull.base = body.base;
    }
    if (body.state === "open" && p.pull.merged) return invalid("PullRequest", "state", "custom", "state cannot be changed. The pull request has been merged.");
    if (typeof body.title === "string" && body.title !== p.title) {
      changes.title = { from: p.title };
      p.title = body.title;
    }
    if (typeof body.body === "string" && body.body !== p.body) {
      changes.body = { from: p.body ?? "" };
      p.body = body.body;
    }
    if (typeof body.maintainer_can_modify === "boolean") p.pull.maintainerCanModify = body.maintainer_can_modify;
    p.updated_at = this.d.now();
    if (Object.keys(changes).length) this.d.emit("pull_request", "edited", this.d.bot, { number: n, changes, pull_request: this.json(p) });
    if ((body.state === "open" || body.state === "closed") && body.state !== p.state) this.d.setState(p, body.state, this.d.bot);
    return ok(this.json(p, true));
  }

  /** `GET /pulls/{n}/files`: the three-dot diff from the base, as GitHub lists it (at most 3000 files). */
  private files(n: number, query: URLSearchParams): DoubleResponse {
    const p = this.pull(n);
    if (!p) return notFound();
    const head = this.headSha(p.pull);
    const list = this.d.git
      .diffFiles(this.baseSha(p.pull), head)
      .slice(0, 3000)
      .map((f) => this.d.gitData.diffEntry(f, head));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/pulls/${n}/files`);
  }

  /** `GET /pulls/{n}/commits`: oldest first, at most 250, as GitHub lists them. */
  private commits(n: number, query: URLSearchParams): DoubleResponse {
    const p = this.pull(n);
    if (!p) return notFound();
    const list = this.d.git
      .commitsBetween(this.baseSha(p.pull), this.headSha(p.pull))
      .slice(0, 250)
      .map((c) => this.d.shapes.commit(c, (login, type) => this.d.user(login, type)));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/pulls/${n}/commits`);
  }

  private checkMerged(n: number): DoubleResponse {
    return this.pull(n)?.pull.merged ? noContent() : notFound();
  }

  /**
   * Merges as GitHub does: a merge commit (never a fast-forward), a squash, or a
   * rebase, written to the base branch in the bare repository; then `push` to the
   * base, `pull_request` `closed` with `merged: true`, and `issues` `closed` for
   * each issue the body closes ("Fixes #1") when the base is the default branch.
   */
  merge(n: number, options: MergeOptions, by: DoubleUser): DoubleResponse {
    const p = this.pull(n);
    if (!p) return notFound();
    const notMergeable = { status: 405, body: { message: "Pull Request is not mergeable", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    if (p.state !== "open" || p.pull.merged) return notMergeable;
    if (p.pull.draft) return { status: 405, body: { message: "Pull Request is still a draft", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    const head = this.headSha(p.pull);
    if (options.sha && options.sha !== head) return { status: 409, body: { message: "Head branch was modified. Review and try the merge again.", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    const base = this.baseSha(p.pull);
    const method = options.merge_method ?? "merge";
    if (!this.d.mergeMethods[method]) {
      return { status: 405, body: { message: `${method === "merge" ? "Merge commits are" : method === "squash" ? "Squash merges are" : "Rebase merges are"} not allowed on this repository.`, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    }
    // Branch protection, as GitHub applies it to every merge (an app without bypass cannot skip it).
    const { expected } = this.d.checks.requiredNotPassed(p.pull.base, head);
    if (expected.length > 0) {
      return { status: 405, body: { message: expected.length === 1 ? `Required status check "${expected[0]}" is expected.` : `${expected.length} of ${(this.d.protection.get(p.pull.base) ?? []).length} required status checks are expected.`, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    }
    const decision = this.d.reviews.decision(n, p.pull.base);
    if (decision === "CHANGES_REQUESTED") return { status: 405, body: { message: "Changes must be made through a pull request. A reviewer requested changes.", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    if (decision === "REVIEW_REQUIRED") {
      const approvals = this.d.reviewRules.get(p.pull.base)?.approvals ?? 1;
      return { status: 405, body: { message: `At least ${approvals} approving review${approvals === 1 ? " is" : "s are"} required by reviewers with write access.`, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    }
    const author = { name: by.login, email: `${by.id}+${by.login}@users.noreply.github.com` };
    const commits = this.d.git.commitsBetween(base, head);
    let sha: string;
    if (method === "rebase") {
      let onto = base;
      for (const commit of commits) {
        const tree = this.d.git.mergeTree(onto, commit.sha, commit.parents[0]);
        if (!("tree" in tree)) return notMergeable;
        onto = this.d.git.commitTree(tree.tree, [onto], commit.message, { name: commit.author.name, email: commit.author.email });
      }
      sha = onto;
    } else {
      const tree = this.d.git.mergeTree(base, head);
      if (!("tree" in tree)) return notMergeable;
      const title = options.commit_title ?? (method === "squash" ? `${p.title} (#${n})` : `Merge pull request #${n} from ${this.d.owner}/${p.pull.head}`);
      const detail = options.commit_message ?? (method === "squash" ? commits.map((c) => `* ${c.message.trim()}`).join("\n\n") : p.title);
      sha = this.d.git.commitTree(tree.tree, method === "squash" ? [base] : [base, head], detail ? `${title}\n\n${detail}` : title, author);
    }
    const before = this.d.refs;
    if (!this.d.git.updateRef(`heads/${p.pull.base}`, sha, base)) {
      return { status: 405, body: { message: "Base branch was modified. Review and try the merge again.", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" } };
    }
    this.d.refsPushed(before, by);
    const at = this.d.now();
    p.pull.merged = { sha, at, by, baseSha: base };
    p.state = "closed";
    p.closed_at = at;
    p.updated_at = at;
    this.d.emit("pull_request", "closed", by, { number: n, pull_request: this.json(p) });
    if (p.pull.base === this.d.defaultBranch) {
      for (const match of (p.body ?? "").matchAll(CLOSING)) {
        const issue = this.d.issues.get(Number(match[1]));
        if (issue && !issue.pull && issue.state === "open") this.d.setState(issue, "closed", by);
      }
    }
    return ok({ sha, merged: true, message: "Pull Request successfully merged" });
  }

  // ---- GraphQL -----------------------------------------------------------------------------

  /** `markPullRequestReadyForReview` and `convertPullRequestToDraft`: draft state changes only through GraphQL. */
  draftMutation(kind: "markPullRequestReadyForReview" | "convertPullRequestToDraft", nodeId: unknown): DoubleResponse {
    const p = this.d.pulls().find((x) => x.node_id === nodeId);
    if (!p?.pull) return ok({ data: null, errors: [{ type: "NOT_FOUND", path: [kind], message: `Could not resolve to a node with the global id of '${String(nodeId)}'` }] });
    const draft = kind === "convertPullRequestToDraft";
    if (p.pull.draft !== draft) {
      p.pull.draft = draft;
      p.updated_at = this.d.now();
      this.d.emit("pull_request", draft ? "converted_to_draft" : "ready_for_review", this.d.bot, { number: p.number, pull_request: this.json(p) });
    }
    return ok({ data: { [kind]: { pullRequest: { isDraft: draft, number: p.number } } } });
  }
}
