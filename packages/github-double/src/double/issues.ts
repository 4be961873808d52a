import type { GitHubDouble } from "../github-double.js";
import type { DoubleComment, DoubleIssue, DoubleResponse, DoubleUser } from "./model.js";
import { created, invalid, noContent, notFound, ok, paginate, route, textRefused, type Route } from "./router.js";

/** Issues, their comments, labels and reactions, and collaborator permissions. */
export class IssuesArea {
  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("PATCH", "/issues/comments/{comment_id}", ({ params, body }) => this.updateComment(Number(params.comment_id), body)),
      route("DELETE", "/issues/comments/{comment_id}", ({ params }) => this.deleteComment(Number(params.comment_id))),
      route("POST", "/issues/comments/{comment_id}/reactions", ({ params, body }) => this.react(Number(params.comment_id), body)),
      route("GET", "/issues/{issue_number}", ({ params }) => this.getIssue(Number(params.issue_number))),
      route("PATCH", "/issues/{issue_number}", ({ params, body }) => this.updateIssue(Number(params.issue_number), body)),
      route("GET", "/issues/{issue_number}/comments", ({ params, query }) => this.listComments(Number(params.issue_number), query)),
      route("POST", "/issues/{issue_number}/comments", ({ params, body }) => this.createComment(Number(params.issue_number), body)),
      route("GET", "/issues/{issue_number}/labels", ({ params }) => this.issueLabels(Number(params.issue_number))),
      route("POST", "/issues/{issue_number}/labels", ({ params, body }) => this.addLabels(Number(params.issue_number), body)),
      route("DELETE", "/issues/{issue_number}/labels/{name}", ({ params }) => this.removeLabel(Number(params.issue_number), params.name ?? "")),
      route("GET", "/issues", ({ query }) => this.listIssues(query)),
      route("POST", "/issues", ({ body }) => this.createIssue(body)),
      route("POST", "/labels", ({ body }) => this.createLabel(body)),
      route("GET", "/collaborators/{username}/permission", ({ params }) => this.permission(params.username ?? "")),
    ];
  }

  // ---- shapes --------------------------------------------------------------------------

  issueJson(i: DoubleIssue) {
    const { shapes } = this.d;
    const url = shapes.api(`/issues/${i.number}`);
    return {
      id: i.number,
      node_id: i.node_id,
      url,
      repository_url: shapes.api(),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: shapes.web(`/${i.pull ? "pull" : "issues"}/${i.number}`),
      number: i.number,
      state: i.state,
      state_reason: i.state === "closed" ? (i.pull ? null : "completed") : null,
      title: i.title,
      body: i.body,
      user: shapes.user(i.user),
      labels: i.labels.map((name) => this.labelJson(name)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: this.d.commentsOn(i.number).length,
      closed_at: i.state === "closed" ? (i.closed_at ?? i.updated_at) : null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      author_association: association(i.user),
      reactions: this.reactionsJson(url, i.reactions ?? []),
      ...(i.pull ? { pull_request: { url: shapes.api(`/pulls/${i.number}`), html_url: shapes.web(`/pull/${i.number}`), diff_url: shapes.web(`/pull/${i.number}.diff`), patch_url: shapes.web(`/pull/${i.number}.patch`), merged_at: i.pull.merged?.at ?? null } } : {}),
    };
  }

  commentJson(c: DoubleComment) {
    const { shapes } = this.d;
    const url = shapes.api(`/issues/comments/${c.id}`);
    return {
      id: c.id,
      node_id: c.node_id,
      url,
      body: c.body,
      user: shapes.user(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: shapes.web(`/issues/${c.issue}#issuecomment-${c.id}`),
      issue_url: shapes.api(`/issues/${c.issue}`),
      author_association: association(c.user),
      performed_via_github_app: c.user.login === this.d.bot.login ? shapes.app({ id: 1, slug: this.d.appSlug, name: "Software Factory" }) : null,
      reactions: this.reactionsJson(url, c.reactions),
    };
  }

  labelJson(name: string) {
    return this.d.shapes.label(name, this.d.labels.get(name) ?? { color: "ededed", description: null });
  }

  private reactionsJson(url: string, reactions: DoubleComment["reactions"]) {
    const count = (content: string) => reactions.filter((r) => r.content === content).length;
    const names = ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"];
    return { url: `${url}/reactions`, total_count: reactions.length, ...Object.fromEntries(names.map((n) => [n, count(n)])) };
  }

  // ---- routes --------------------------------------------------------------------------

  private listComments(issue: number, query: URLSearchParams): DoubleResponse {
    if (!this.d.issues.has(issue)) return notFound();
    return paginate(
      this.d.commentsOn(issue).map((c) => this.commentJson(c)),
      query,
      `/repos/${this.d.owner}/${this.d.repo}/issues/${issue}/comments`,
    );
  }

  private createComment(issue: number, body: Record<string, unknown>): DoubleResponse {
    if (!this.d.issues.has(issue)) return notFound();
    if (typeof body.body !== "string") return invalid("IssueComment", "body", "missing_field");
    const refused = textRefused("IssueComment", body, { body: 65_536 });
    if (refused) return refused;
    return created(this.commentJson(this.d.postComment(issue, this.d.bot, body.body)));
  }

  private updateComment(id: number, body: Record<string, unknown>): DoubleResponse {
    const comment = this.d.comments.get(id);
    if (!comment) return notFound();
    if (comment.user.login !== this.d.bot.login) return { status: 403, body: { message: "Resource not accessible by integration" } };
    if (typeof body.body !== "string") return invalid("IssueComment", "body", "missing_field");
    const refused = textRefused("IssueComment", body, { body: 65_536 });
    if (refused) return refused;
    this.d.editComment(id, body.body, this.d.bot);
    return ok(this.commentJson(comment));
  }

  private deleteComment(id: number): DoubleResponse {
    const comment = this.d.comments.get(id);
    if (!comment) return notFound();
    this.d.comments.delete(id);
    this.d.emit("issue_comment", "deleted", this.d.bot, { issue: this.issueJson(this.d.mustIssue(comment.issue)), comment: this.commentJson(comment) });
    return noContent();
  }

  private react(id: number, body: Record<string, unknown>): DoubleResponse {
    const comment = this.d.comments.get(id);
    if (!comment) return notFound();
    const content = String(body.content);
    const existing = comment.reactions.findIndex((r) => r.content === content && r.user === this.d.bot.login);
    if (existing < 0) comment.reactions.push({ content, user: this.d.bot.login });
    const index = existing < 0 ? comment.reactions.length : existing + 1;
    return { status: existing < 0 ? 201 : 200, body: { id: id * 100 + index, node_id: `REA_${id}_${index}`, content, user: this.d.shapes.user(this.d.bot), created_at: comment.updated_at } };
  }

  private getIssue(n: number): DoubleResponse {
    const issue = this.d.issues.get(n);
    return issue ? ok(this.issueJson(issue)) : notFound();
  }

  private updateIssue(n: number, body: Record<string, unknown>): DoubleResponse {
    const issue = this.d.issues.get(n);
    if (!issue) return notFound();
    const refused = textRefused("Issue", body, { title: 256, body: 65_536 });
    if (refused) return refused;
    const changes: Record<string, { from: unknown }> = {};
    if (typeof body.body === "string" && body.body !== issue.body) {
      changes.body = { from: issue.body };
      issue.body = body.body;
    }
    if (typeof body.title === "string" && body.title !== issue.title) {
      changes.title = { from: issue.title };
      issue.title = body.title;
    }
    issue.updated_at = this.d.now();
    if (Object.keys(changes).length) this.d.emitIssue(issue, "edited", this.d.bot, { changes });
    if ((body.state === "open" || body.state === "closed") && body.state !== issue.state) this.d.setState(issue, body.state, this.d.bot);
    return ok(this.issueJson(issue));
  }

  private issueLabels(n: number): DoubleResponse {
    const issue = this.d.issues.get(n);
    return issue ? ok(issue.labels.map((name) => this.labelJson(name))) : notFound();
  }

  private addLabels(n: number, body: Record<string, unknown>): DoubleResponse {
    const issue = this.d.issues.get(n);
    if (!issue) return notFound();
    const names = Array.isArray(body.labels) ? body.labels.map(String) : [];
    for (const name of names) this.d.addLabel(n, name, this.d.bot);
    return ok(issue.labels.map((name) => this.labelJson(name)));
  }

  private removeLabel(n: number, name: string): DoubleResponse {
    const issue = this.d.issues.get(n);
    const on = issue?.labels.find((l) => l.toLowerCase() === name.toLowerCase());
    if (!issue || on === undefined) return notFound("Label does not exist");
    issue.labels = issue.labels.filter((l) => l !== on);
    issue.updated_at = this.d.now();
    this.d.emitIssue(issue, "unlabeled", this.d.bot, { label: this.labelJson(on) });
    return ok(issue.labels.map((l) => this.labelJson(l)));
  }

  private listIssues(query: URLSearchParams): DoubleResponse {
    const wanted = (query.get("labels") ?? "").split(",").filter(Boolean);
    const state = query.get("state") ?? "open";
    const since = query.get("since");
    // GitHub sorts by `created` (or `updated`, `comments`), newest first unless `direction=asc`.
    const key = query.get("sort") === "updated" ? (i: DoubleIssue) => Date.parse(i.updated_at) : (i: DoubleIssue) => i.number;
    const sign = query.get("direction") === "asc" ? 1 : -1;
    const list = [...this.d.issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => wanted.every((l) => i.labels.some((on) => on.toLowerCase() === l.toLowerCase())))
      .filter((i) => since === null || Date.parse(i.updated_at) >= Date.parse(since))
      .sort((a, b) => sign * (key(a) - key(b)) || sign * (a.number - b.number))
      .map((i) => this.issueJson(i));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/issues`);
  }

  private createIssue(body: Record<string, unknown>): DoubleResponse {
    if (typeof body.title !== "string") return invalid("Issue", "title", "missing_field");
    const refused = textRefused("Issue", body, { title: 256, body: 65_536 });
    if (refused) return refused;
    const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
    for (const name of labels) this.d.ensureLabel(name);
    const issue = this.d.newIssue(this.d.bot, body.title, typeof body.body === "string" ? body.body : null, labels);
    this.d.emit("issues", "opened", this.d.bot, { issue: this.issueJson(issue) });
    return created(this.issueJson(issue));
  }

  private createLabel(body: Record<string, unknown>): DoubleResponse {
    const name = String(body.name ?? "");
    if ([...this.d.labels.keys()].some((l) => l.toLowerCase() === name.toLowerCase())) {
      return invalid("Label", "name", "already_exists");
    }
    this.d.labels.set(name, { name, color: String(body.color ?? "ededed"), description: typeof body.description === "string" ? body.description : null });
    return created(this.labelJson(name));
  }

  private permission(login: string): DoubleResponse {
    const role = this.d.permissions.get(login);
    if (!role) return notFound(`${login} is not a user`);
    const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
    return ok({ permission: legacy, role_name: role, user: { ...this.d.shapes.user(this.d.user(login)), role_name: role } });
  }
}

/** How GitHub relates an author to the repository: the double's people are members, apps and bots none. */
export function association(user: DoubleUser): "MEMBER" | "NONE" {
  return user.type === "Bot" ? "NONE" : "MEMBER";
}
