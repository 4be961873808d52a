import type { GitHubDouble } from "../github-double.js";
import { association } from "./issues.js";
import type { DoubleResponse, DoubleUser } from "./model.js";
import { created, notFound, ok, paginate, rejected, route, unprocessable, type Route } from "./router.js";

export type ReviewEvent = "APPROVE" | "REQUEST_CHANGES" | "COMMENT";
type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";

export interface DoubleReview {
  id: number;
  pull: number;
  user: DoubleUser;
  body: string;
  state: ReviewState;
  commitId: string;
  submittedAt: string | null;
}

export interface DoubleReviewComment {
  id: number;
  pull: number;
  review: number;
  user: DoubleUser;
  body: string;
  path: string;
  line: number;
  side: "LEFT" | "RIGHT";
  /** Lines down from the file's first `@@` (the line below it is 1), as `position` counts. */
  position: number;
  diffHunk: string;
  commitId: string;
  inReplyTo?: number;
  createdAt: string;
}

/** An inline comment as a review or `POST /pulls/{n}/comments` gives it. */
export interface InlineComment {
  path: string;
  body: string;
  line?: number;
  side?: "LEFT" | "RIGHT";
  position?: number;
}

const STATE: Record<ReviewEvent, ReviewState> = { APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED", COMMENT: "COMMENTED" };
const OUTSIDE_DIFF = "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank";

/**
 * Reviews and review comments. A submitted review is announced as
 * `pull_request_review` `submitted`, then one `pull_request_review_comment`
 * `created` per inline comment; a review without an event stays PENDING and
 * announces nothing, as on GitHub. Inline comments must land on a line of the
 * PR's diff, or GitHub answers 422.
 */
export class ReviewsArea {
  readonly reviews = new Map<number, DoubleReview>();
  readonly comments = new Map<number, DoubleReviewComment>();
  private nextId = 80_000;

  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("GET", "/pulls/comments/{comment_id}", ({ params }) => this.getComment(Number(params.comment_id))),
      route("GET", "/pulls/{pull_number}/reviews", ({ params, query }) => this.list(Number(params.pull_number), query)),
      route("POST", "/pulls/{pull_number}/reviews", ({ params, body }) => this.create(Number(params.pull_number), this.d.bot, body)),
      route("GET", "/pulls/{pull_number}/reviews/{review_id}", ({ params }) => this.get(Number(params.pull_number), Number(params.review_id))),
      route("GET", "/pulls/{pull_number}/reviews/{review_id}/comments", ({ params, query }) => this.reviewComments(Number(params.pull_number), Number(params.review_id), query)),
      route("GET", "/pulls/{pull_number}/comments", ({ params, query }) => this.listComments(Number(params.pull_number), query)),
      route("POST", "/pulls/{pull_number}/comments", ({ params, body }) => this.createComment(Number(params.pull_number), body)),
    ];
  }

  /** Review comments on a PR, oldest first. */
  commentsOn(pull: number): DoubleReviewComment[] {
    return [...this.comments.values()].filter((c) => c.pull === pull).sort((a, b) => a.id - b.id);
  }

  /**
   * Where the PR stands on the reviews its base branch's protection requires (GraphQL
   * `reviewDecision`): null when none are required; CHANGES_REQUESTED while a
   * reviewer's latest review requests changes; APPROVED once enough approve.
   */
  decision(pull: number, base: string): "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null {
    const rule = this.d.reviewRules.get(base);
    if (!rule) return null;
    const latest = new Map<string, ReviewState>();
    for (const review of this.on(pull)) if (review.state !== "PENDING" && review.state !== "COMMENTED") latest.set(review.user.login, review.state);
    const states = [...latest.values()];
    if (states.includes("CHANGES_REQUESTED")) return "CHANGES_REQUESTED";
    return states.filter((s) => s === "APPROVED").length >= rule.approvals ? "APPROVED" : "REVIEW_REQUIRED";
  }

  /** Reviews on a PR, oldest first. */
  on(pull: number): DoubleReview[] {
    return [...this.reviews.values()].filter((r) => r.pull === pull).sort((a, b) => a.id - b.id);
  }

  /**
   * A review by `by`: with `event`, submitted (and announced); without, pending.
   * The same path serves `POST /pulls/{n}/reviews` and a person's review.
   */
  create(n: number, by: DoubleUser, body: Record<string, unknown>): DoubleResponse {
    const p = this.d.pullApi.pull(n);
    if (!p) return notFound();
    const event = typeof body.event === "string" ? (body.event as ReviewEvent) : undefined;
    if (event === "APPROVE" && p.user.login === by.login) return rejected("Can not approve your own pull request");
    if (event === "REQUEST_CHANGES" && p.user.login === by.login) return rejected("Can not request changes on your own pull request");
    const text = typeof body.body === "string" ? body.body : "";
    const inline = Array.isArray(body.comments) ? (body.comments as InlineComment[]) : [];
    // GitHub answers 422 here; the exact wording of its error is not documented.
    if ((event === "REQUEST_CHANGES" || event === "COMMENT") && !text && inline.length === 0) return rejected(`A ${event} review needs a body or inline comments`);
    if (!event && this.on(n).some((r) => r.state === "PENDING" && r.user.login === by.login)) return rejected("User can only have one pending review per pull request");
    const commitId = typeof body.commit_id === "string" ? body.commit_id : this.d.pullApi.headSha(p.pull);
    if (!this.d.git.hasCommit(commitId)) return unprocessable(`No commit found for SHA: ${commitId}`);
    const anchors = inline.map((c) => this.anchor(n, commitId, c));
    if (anchors.some((a) => a === undefined)) return rejected(OUTSIDE_DIFF);
    const now = this.d.now();
    const review: DoubleReview = { id: this.nextId++, pull: n, user: by, body: text, state: event ? STATE[event] : "PENDING", commitId, submittedAt: event ? now : null };
    this.reviews.set(review.id, review);
    const comments = inline.map((c, i) => this.addComment({ ...(anchors[i] as Anchor), pull: n, review: review.id, user: by, body: c.body, commitId, createdAt: now }));
    if (event) this.announce(review, comments);
    return ok(this.reviewJson(review));
  }

  private announce(review: DoubleReview, comments: DoubleReviewComment[]): void {
    const p = this.d.pullApi.pull(review.pull);
    if (!p) return;
    this.d.emit("pull_request_review", "submitted", review.user, { review: this.reviewJson(review, true), pull_request: this.d.pullApi.json(p) });
    for (const comment of comments) this.d.emit("pull_request_review_comment", "created", comment.user, { comment: this.commentJson(comment), pull_request: this.d.pullApi.json(p) });
  }

  private addComment(input: Omit<DoubleReviewComment, "id">): DoubleReviewComment {
    const comment = { ...input, id: this.nextId++ };
    this.comments.set(comment.id, comment);
    return comment;
  }

  /** Where an inline comment lands in the PR's diff at `commitId`, or undefined when it is not on a line of it. */
  private anchor(n: number, commitId: string, c: InlineComment): Anchor | undefined {
    const p = this.d.pullApi.pull(n);
    if (!p || typeof c.path !== "string") return undefined;
    const file = this.d.git.diffFiles(this.d.pullApi.baseSha(p.pull), commitId).find((f) => f.filename === c.path);
    const lines = file?.patch ? patchLines(file.patch) : [];
    const wanted = c.side ?? "RIGHT";
    const at = lines.find((l) => !l.header && (c.line !== undefined ? (wanted === "RIGHT" ? l.newLine : l.oldLine) === c.line : l.position === c.position));
    if (!at) return undefined;
    const side = c.line !== undefined ? wanted : at.newLine !== undefined ? "RIGHT" : "LEFT";
    return {
      path: c.path,
      line: (side === "RIGHT" ? at.newLine : at.oldLine) ?? 0,
      side,
      position: at.position,
      // The hunk from its `@@` header down to the commented line, as GitHub quotes it.
      diffHunk: lines.filter((l) => l.hunk === at.hunk && l.position <= at.position).map((l) => l.text).join("\n"),
    };
  }

  // ---- shapes --------------------------------------------------------------------------

  /** REST spells the state in capitals; the webhook in lower case. */
  reviewJson(r: DoubleReview, webhook = false) {
    const { shapes } = this.d;
    const html = shapes.web(`/pull/${r.pull}#pullrequestreview-${r.id}`);
    const pullUrl = shapes.api(`/pulls/${r.pull}`);
    return {
      id: r.id,
      node_id: `PRR_kwDO${r.id}`,
      user: shapes.user(r.user),
      body: r.body,
      state: webhook ? r.state.toLowerCase() : r.state,
      html_url: html,
      pull_request_url: pullUrl,
      _links: { html: { href: html }, pull_request: { href: pullUrl } },
      ...(r.submittedAt ? { submitted_at: r.submittedAt } : {}),
      commit_id: r.commitId,
      author_association: association(r.user),
    };
  }

  commentJson(c: DoubleReviewComment) {
    const { shapes } = this.d;
    const url = shapes.api(`/pulls/comments/${c.id}`);
    const html = shapes.web(`/pull/${c.pull}#discussion_r${c.id}`);
    const pullUrl = shapes.api(`/pulls/${c.pull}`);
    return {
      url,
      pull_request_review_id: c.review,
      id: c.id,
      node_id: `PRRC_kwDO${c.id}`,
      diff_hunk: c.diffHunk,
      path: c.path,
      position: c.position,
      original_position: c.position,
      commit_id: c.commitId,
      original_commit_id: c.commitId,
      ...(c.inReplyTo ? { in_reply_to_id: c.inReplyTo } : {}),
      user: shapes.user(c.user),
      body: c.body,
      created_at: c.createdAt,
      updated_at: c.createdAt,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: association(c.user),
      _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
      start_line: null,
      original_start_line: null,
      start_side: null,
      line: c.line,
      original_line: c.line,
      side: c.side,
      subject_type: "line",
      reactions: { url: `${url}/reactions`, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
    };
  }

  // ---- routes --------------------------------------------------------------------------

  private list(n: number, query: URLSearchParams): DoubleResponse {
    if (!this.d.pullApi.pull(n)) return notFound();
    return paginate(this.on(n).map((r) => this.reviewJson(r)), query, `/repos/${this.d.owner}/${this.d.repo}/pulls/${n}/reviews`);
  }

  private get(n: number, id: number): DoubleResponse {
    const review = this.reviews.get(id);
    return review?.pull === n ? ok(this.reviewJson(review)) : notFound();
  }

  private reviewComments(n: number, id: number, query: URLSearchParams): DoubleResponse {
    const review = this.reviews.get(id);
    if (review?.pull !== n) return notFound();
    const list = this.commentsOn(n).filter((c) => c.review === id).map((c) => this.commentJson(c));
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/pulls/${n}/reviews/${id}/comments`);
  }

  private listComments(n: number, query: URLSearchParams): DoubleResponse {
    if (!this.d.pullApi.pull(n)) return notFound();
    const list = this.commentsOn(n).map((c) => this.commentJson(c));
    if (query.get("direction") === "desc") list.reverse();
    return paginate(list, query, `/repos/${this.d.owner}/${this.d.repo}/pulls/${n}/comments`);
  }

  private getComment(id: number): DoubleResponse {
    const comment = this.comments.get(id);
    return comment ? ok(this.commentJson(comment)) : notFound();
  }

  /**
   * `POST /pulls/{n}/comments`: a reply (`in_reply_to`) in the thread of another
   * comment, or a new single comment on a line (`commit_id`, `path`, `line`). Either
   * is a one-comment review, COMMENTED, and announced like one.
   */
  private createComment(n: number, body: Record<string, unknown>): DoubleResponse {
    const p = this.d.pullApi.pull(n);
    if (!p) return notFound();
    const text = typeof body.body === "string" ? body.body : "";
    const parent = typeof body.in_reply_to === "number" ? this.comments.get(body.in_reply_to) : undefined;
    if (body.in_reply_to !== undefined && parent?.pull !== n) return notFound();
    const commitId = parent?.commitId ?? (typeof body.commit_id === "string" ? body.commit_id : this.d.pullApi.headSha(p.pull));
    if (!this.d.git.hasCommit(commitId)) return unprocessable(`No commit found for SHA: ${commitId}`);
    const anchor = parent
      ? { path: parent.path, line: parent.line, side: parent.side, position: parent.position, diffHunk: parent.diffHunk }
      : this.anchor(n, commitId, {
          path: String(body.path ?? ""),
          body: text,
          ...(typeof body.line === "number" ? { line: body.line } : {}),
          ...(typeof body.position === "number" ? { position: body.position } : {}),
          ...(body.side === "LEFT" || body.side === "RIGHT" ? { side: body.side } : {}),
        });
    if (!anchor) return rejected(OUTSIDE_DIFF);
    const now = this.d.now();
    const review: DoubleReview = { id: this.nextId++, pull: n, user: this.d.bot, body: "", state: "COMMENTED", commitId, submittedAt: now };
    this.reviews.set(review.id, review);
    const comment = this.addComment({ ...anchor, pull: n, review: review.id, user: this.d.bot, body: text, commitId, createdAt: now, ...(parent ? { inReplyTo: parent.inReplyTo ?? parent.id } : {}) });
    this.announce(review, [comment]);
    return created(this.commentJson(comment));
  }
}

type Anchor = Pick<DoubleReviewComment, "path" | "line" | "side" | "position" | "diffHunk">;

interface PatchLine {
  position: number;
  hunk: number;
  header: boolean;
  text: string;
  oldLine?: number;
  newLine?: number;
}

/** A file's patch as positioned lines: the first `@@` is position 0, the line below it 1, and so on through later hunks. */
export function patchLines(patch: string): PatchLine[] {
  const out: PatchLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let hunk = -1;
  for (const [position, text] of patch.split("\n").entries()) {
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header) {
      hunk++;
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      out.push({ position, hunk, header: true, text });
    } else if (text.startsWith("+")) {
      out.push({ position, hunk, header: false, text, newLine: newLine++ });
    } else if (text.startsWith("-")) {
      out.push({ position, hunk, header: false, text, oldLine: oldLine++ });
    } else if (!text.startsWith("\\")) {
      out.push({ position, hunk, header: false, text, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return out;
}
