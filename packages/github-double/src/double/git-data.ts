import { createHash } from "node:crypto";
import type { GitHubDouble } from "../github-double.js";
import type { FileChange, TreeEntry } from "../git-repo.js";
import type { DoubleResponse, DoubleUser } from "./model.js";
import { created, invalid, noContent, notFound, ok, paginate, route, textRefused, unprocessable, type Route } from "./router.js";

/**
 * Contents, branches, commits, compare and the Git Data API (refs, commits, trees,
 * blobs), answered from the bare repository. Moving a branch is a push: it is
 * announced as `push` (and `synchronize` for an open PR on it), whoever moved it.
 */
export class GitDataArea {
  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("GET", "/contents/{path+}", ({ params, query, headers }) => this.getContent(params.path ?? "", /\.raw/.test(headers.accept ?? ""), query.get("ref") ?? this.d.defaultBranch)),
      route("GET", "/branches/{branch+}", ({ params }) => this.getBranch(params.branch ?? "")),
      route("GET", "/rules/branches/{branch+}", ({ params, query }) => this.branchRules(params.branch ?? "", query)),
      route("GET", "/commits", ({ query }) => this.listCommits(query)),
      route("GET", "/commits/{ref}", ({ params }) => this.getCommit(params.ref ?? "")),
      route("GET", "/compare/{basehead+}", ({ params, query }) => this.compare(params.basehead ?? "", query)),
      route("POST", "/git/commits", ({ body }) => this.createCommit(body)),
      route("GET", "/git/commits/{commit_sha}", ({ params }) => this.getGitCommit(params.commit_sha ?? "")),
      route("POST", "/merges", ({ body }) => this.mergeBranch(body, this.d.bot)),
      route("POST", "/git/trees", ({ body }) => this.createTree(body)),
      route("GET", "/git/trees/{tree_sha}", ({ params, query }) => this.getTree(params.tree_sha ?? "", query.get("recursive") !== null)),
      route("POST", "/git/blobs", ({ body }) => this.createBlob(body)),
      route("GET", "/git/blobs/{file_sha}", ({ params }) => this.getBlob(params.file_sha ?? "")),
      route("POST", "/git/refs", ({ body }) => this.createRef(body)),
      route("GET", "/git/ref/{ref+}", ({ params }) => this.getRef(params.ref ?? "")),
      route("GET", "/git/matching-refs/{ref+}", ({ params }) => this.matchingRefs(params.ref ?? "")),
      route("PATCH", "/git/refs/{ref+}", ({ params, body }) => this.updateRef(params.ref ?? "", body)),
      route("DELETE", "/git/refs/{ref+}", ({ params }) => this.deleteRef(params.ref ?? "")),
    ];
  }

  // ---- shapes --------------------------------------------------------------------------

  /** A changed file as the pulls, commits and compare APIs list it (`diff-entry`). */
  diffEntry(f: FileChange, head: string) {
    const { shapes } = this.d;
    const path = f.filename.split("/").map(encodeURIComponent).join("/");
    return {
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: shapes.web(`/blob/${head}/${path}`),
      raw_url: shapes.web(`/raw/${head}/${path}`),
      contents_url: shapes.api(`/contents/${path}?ref=${head}`),
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
      ...(f.previousFilename !== undefined ? { previous_filename: f.previousFilename } : {}),
    };
  }

  private refJson(name: string, sha: string) {
    const { shapes } = this.d;
    return {
      ref: `refs/${name}`,
      node_id: `REF_kwDO${createHash("sha1").update(name).digest("hex").slice(0, 12)}`,
      url: shapes.api(`/git/refs/${name}`),
      object: { sha, type: "commit", url: shapes.api(`/git/commits/${sha}`) },
    };
  }

  private commitJson(sha: string) {
    return this.d.shapes.commit(this.d.git.commit(sha), (login, type) => this.d.user(login, type));
  }

  // ---- contents, branches, commits ---------------------------------------------------------

  private getContent(path: string, raw: boolean, ref: string): DoubleResponse {
    const commit = this.d.resolveCommit(ref);
    const text = commit ? this.d.git.readFile(commit, path) : undefined;
    if (commit === undefined || text === undefined) return notFound();
    if (raw) return { status: 200, body: text, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
    const { shapes } = this.d;
    const sha = this.d.git.run(["rev-parse", `${commit}:${path}`]);
    const url = shapes.api(`/contents/${path}?ref=${ref}`);
    const html = shapes.web(`/blob/${ref}/${path}`);
    const git = shapes.api(`/git/blobs/${sha}`);
    return ok({
      type: "file",
      encoding: "base64",
      size: Buffer.byteLength(text),
      name: path.split("/").pop(),
      path,
      content: Buffer.from(text).toString("base64"),
      sha,
      url,
      git_url: git,
      html_url: html,
      download_url: `https://raw.githubusercontent.com/${this.d.owner}/${this.d.repo}/${ref}/${path}`,
      _links: { self: url, git, html },
    });
  }

  private getBranch(branch: string): DoubleResponse {
    const sha = this.d.git.refSha(`heads/${branch}`);
    if (!sha) return notFound("Branch not found");
    const { shapes } = this.d;
    const protection = shapes.api(`/branches/${branch}/protection`);
    const required = this.d.protection.get(branch);
    return ok({
      name: branch,
      commit: this.commitJson(sha),
      _links: { html: shapes.web(`/tree/${branch}`), self: shapes.api(`/branches/${branch}`) },
      protected: required !== undefined,
      protection: required
        ? { enabled: true, required_status_checks: { enforcement_level: "non_admins", contexts: required, checks: required.map((context) => ({ context, app_id: null })) } }
        : { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } },
      protection_url: protection,
    });
  }

  /** `GET /rules/branches/{branch}`: every active ruleset's rules that apply to the branch (here, required status checks). */
  private branchRules(branch: string, query: URLSearchParams): DoubleResponse {
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*?/g, ".*")}$`);
    const applies = (include: string) =>
      include === "~ALL" || (include === "~DEFAULT_BRANCH" && branch === this.d.defaultBranch) || (include.startsWith("refs/heads/") && glob(include.slice("refs/heads/".length)).test(branch));
    const rules = this.d.rulesets
      .filter((r) => r.include.some(applies))
      .map((r) => ({
        type: "required_status_checks",
        parameters: { strict_required_status_checks_policy: false, do_not_enforce_on_create: false, required_status_checks: r.checks.map((context) => ({ context })) },
        ruleset_source_type: "Repository",
        ruleset_source: `${this.d.owner}/${this.d.repo}`,
        ruleset_id: r.id,
      }));
    return paginate(rules, query, `/repos/${this.d.owner}/${this.d.repo}/rules/branches/${branch}`);
  }

  private listCommits(query: URLSearchParams): DoubleResponse {
    const head = this.d.resolveCommit(query.get("sha") ?? this.d.defaultBranch);
    if (!head) return notFound();
    return paginate(
      this.d.git.log(head, 1000).map((c) => this.d.shapes.commit(c, (login, type) => this.d.user(login, type))),
      query,
      `/repos/${this.d.owner}/${this.d.repo}/commits`,
    );
  }

  /**
   * `POST /merges`: merges `head` (a branch or a commit) into the branch `base` with a
   * merge commit by the caller, as a push (CI starts, an open PR on `base` gets
   * `synchronize`). 204 when `base` already has it; 409 on a conflict.
   */
  private mergeBranch(body: Record<string, unknown>, by: DoubleUser): DoubleResponse {
    const baseRef = typeof body.base === "string" ? body.base : "";
    const base = this.d.git.refSha(`heads/${baseRef}`);
    if (!base) return notFound("Base does not exist");
    const head = typeof body.head === "string" ? this.d.resolveCommit(body.head) : undefined;
    if (!head) return notFound("Head does not exist");
    if (this.d.git.isAncestor(head, base)) return { status: 204 };
    const tree = this.d.git.mergeTree(base, head);
    if (!("tree" in tree)) return { status: 409, body: { message: "Merge conflict", documentation_url: "https://docs.github.com/rest/branches/branches#merge-a-branch" } };
    const message = typeof body.commit_message === "string" && body.commit_message ? body.commit_message : `Merge ${String(body.head)} into ${baseRef}`;
    const before = this.d.refs;
    const sha = this.d.git.commitTree(tree.tree, [base, head], message, { name: by.login, email: `${by.id}+${by.login}@users.noreply.github.com` });
    if (!this.d.git.updateRef(`heads/${baseRef}`, sha, base)) return { status: 409, body: { message: "Base was modified; try again", documentation_url: "https://docs.github.com/rest/branches/branches#merge-a-branch" } };
    this.d.refsPushed(before, by);
    return created(this.commitJson(sha));
  }

  private getCommit(ref: string): DoubleResponse {
    const sha = this.d.resolveCommit(ref);
    if (!sha) return unprocessable(`No commit found for SHA: ${ref}`);
    const info = this.d.git.commit(sha);
    const parent = info.parents[0] ?? this.d.git.run(["hash-object", "-t", "tree", "/dev/null"]);
    const files = this.d.git.diffFiles(parent, sha, { direct: true });
    const additions = files.reduce((a, f) => a + f.additions, 0);
    const deletions = files.reduce((a, f) => a + f.deletions, 0);
    return ok({ ...this.commitJson(sha), stats: { additions, deletions, total: additions + deletions }, files: files.map((f) => this.diffEntry(f, sha)) });
  }

  /**
   * `GET /compare/{base}...{head}`: the commits `head` has over their merge base
   * (oldest first, at most 250) and the three-dot diff, with `ahead`, `behind`,
   * `diverged` or `identical`.
   */
  private compare(basehead: string, query: URLSearchParams): DoubleResponse {
    const [baseRef = "", headRef = ""] = basehead.includes("...") ? basehead.split("...") : basehead.split("..");
    const strip = (ref: string) => ref.replace(new RegExp(`^${this.d.owner}:`), "");
    const base = this.d.resolveCommit(strip(baseRef));
    const head = this.d.resolveCommit(strip(headRef));
    if (!base || !head) return notFound();
    const mergeBase = this.d.git.mergeBase(base, head);
    if (!mergeBase) return notFound(`No common ancestor between ${baseRef} and ${headRef}.`);
    const ahead = this.d.git.commitsBetween(mergeBase, head);
    const behind = this.d.git.countBetween(mergeBase, base);
    const status = ahead.length === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead.length === 0 ? "behind" : "diverged";
    const perPage = Number(query.get("per_page") ?? 250) || 250;
    const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
    const { shapes } = this.d;
    return ok({
      url: shapes.api(`/compare/${basehead}`),
      html_url: shapes.web(`/compare/${basehead}`),
      permalink_url: shapes.web(`/compare/${this.d.owner}:${base.slice(0, 7)}...${this.d.owner}:${head.slice(0, 7)}`),
      diff_url: shapes.web(`/compare/${basehead}.diff`),
      patch_url: shapes.web(`/compare/${basehead}.patch`),
      base_commit: this.commitJson(base),
      merge_base_commit: this.commitJson(mergeBase),
      status,
      ahead_by: ahead.length,
      behind_by: behind,
      total_commits: ahead.length,
      commits: ahead.slice((page - 1) * perPage, page * perPage).map((c) => this.d.shapes.commit(c, (login, type) => this.d.user(login, type))),
      files: this.d.git.diffFiles(base, head).slice(0, 300).map((f) => this.diffEntry(f, head)),
    });
  }

  // ---- git data ------------------------------------------------------------------------------

  private createCommit(body: Record<string, unknown>): DoubleResponse {
    const parents = Array.isArray(body.parents) ? body.parents.map(String) : [];
    if (typeof body.tree !== "string" || typeof body.message !== "string") return invalid("Commit", "tree", "missing_field");
    const refused = textRefused("Commit", body, { message: 1_000_000 });
    if (refused) return refused;
    if (!this.d.git.hasTree(body.tree)) return unprocessable("Tree SHA does not exist");
    if (parents.some((p) => !this.d.git.hasCommit(p))) return unprocessable("Parent SHA does not exist or is not a commit object");
    const author = body.author as { name?: unknown; email?: unknown } | undefined;
    const who = typeof author?.name === "string" && typeof author.email === "string" ? { name: author.name, email: author.email } : undefined;
    const sha = this.d.git.commitTree(body.tree, parents, body.message, who);
    return created(this.d.shapes.gitCommit(this.d.git.commit(sha)));
  }

  private getGitCommit(sha: string): DoubleResponse {
    return this.d.git.hasCommit(sha) ? ok(this.d.shapes.gitCommit(this.d.git.commit(sha))) : notFound();
  }

  /** `POST /git/trees`: `base_tree` plus entries by `content` or `sha`; `sha: null` deletes the path. */
  private createTree(body: Record<string, unknown>): DoubleResponse {
    const base = typeof body.base_tree === "string" ? body.base_tree : undefined;
    if (base !== undefined && !this.d.git.hasTree(base)) return unprocessable("base_tree is not a valid tree oid");
    const entries = (Array.isArray(body.tree) ? body.tree : []) as TreeEntry[];
    if (entries.some((e) => e.content !== undefined && e.sha !== undefined)) return unprocessable("Use either tree.sha or tree.content, not both");
    const result = this.d.git.buildTree(base, entries);
    if ("problem" in result) return unprocessable(result.problem);
    return created(this.treeJson(result.tree, false));
  }

  private getTree(sha: string, recursive: boolean): DoubleResponse {
    const tree = this.d.git.hasTree(sha) ? sha : this.d.git.hasCommit(sha) ? this.d.git.commit(sha).tree : undefined;
    return tree ? ok(this.treeJson(tree, recursive)) : notFound();
  }

  /** A tree's entries (subtrees included, as `tree` entries), top level or `recursive`. */
  private treeJson(tree: string, recursive: boolean) {
    const { shapes } = this.d;
    const listing = this.d.git.run(["ls-tree", "-z", "--long", ...(recursive ? ["-r", "-t"] : []), tree]);
    const entries = listing
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf("\t");
        const [mode = "", type = "", sha = "", size = "-"] = line.slice(0, tab).split(/\s+/);
        const url = shapes.api(`/git/${type === "tree" ? "trees" : "blobs"}/${sha}`);
        return { path: line.slice(tab + 1), mode, type, sha, ...(type === "blob" ? { size: Number(size) || 0 } : {}), url };
      });
    return { sha: tree, url: shapes.api(`/git/trees/${tree}`), tree: entries, truncated: false };
  }

  private createBlob(body: Record<string, unknown>): DoubleResponse {
    if (typeof body.content !== "string") return invalid("Blob", "content", "missing_field");
    const encoding = body.encoding ?? "utf-8";
    if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64") return invalid("Blob", "encoding", "invalid", `encoding must be utf-8 or base64, not ${String(encoding)}`);
    const sha = this.d.git.writeBlob(Buffer.from(body.content, encoding === "base64" ? "base64" : "utf8"));
    return created({ sha, url: this.d.shapes.api(`/git/blobs/${sha}`) });
  }

  private getBlob(sha: string): DoubleResponse {
    const bytes = this.d.git.blob(sha);
    if (!bytes) return notFound();
    return ok({ sha, node_id: `B_kwDO${sha.slice(0, 12)}`, size: bytes.length, encoding: "base64", content: bytes.toString("base64"), url: this.d.shapes.api(`/git/blobs/${sha}`) });
  }

  // ---- refs ------------------------------------------------------------------------------

  private getRef(ref: string): DoubleResponse {
    const sha = this.d.git.refSha(ref);
    return sha ? ok(this.refJson(ref, sha)) : notFound();
  }

  /** Every ref whose name starts with `ref` (`heads/factory/` lists the factory's branches); `[]` when none. */
  private matchingRefs(prefix: string): DoubleResponse {
    return ok(this.d.git.matchingRefs(prefix).map((r) => this.refJson(r.name, r.sha)));
  }

  private createRef(body: Record<string, unknown>): DoubleResponse {
    const ref = String(body.ref ?? "");
    const sha = String(body.sha ?? "");
    if (!ref.startsWith("refs/") || ref.split("/").length < 3) return unprocessable(`${ref} is not a valid ref name.`);
    if (!this.d.git.hasCommit(sha)) return unprocessable("Object does not exist");
    const name = ref.slice("refs/".length);
    const before = this.d.refs;
    if (this.d.git.createRef(name, sha) === "exists") return unprocessable("Reference already exists");
    this.d.refsPushed(before, this.d.bot);
    return created(this.refJson(name, sha));
  }

  /** `PATCH /git/refs/{ref}`: a fast-forward, or anything with `force`; announced as a push. */
  private updateRef(ref: string, body: Record<string, unknown>): DoubleResponse {
    const current = this.d.git.refSha(ref);
    if (!current) return unprocessable("Reference does not exist");
    const sha = String(body.sha ?? "");
    if (!this.d.git.hasCommit(sha)) return unprocessable("Object does not exist");
    if (body.force !== true && !this.d.git.isAncestor(current, sha)) return unprocessable("Update is not a fast forward");
    const protectedUpdate = this.protectionRefuses(ref, sha);
    if (protectedUpdate) return protectedUpdate;
    const before = this.d.refs;
    if (!this.d.git.updateRef(ref, sha, current)) return { status: 409, body: { message: "Reference cannot be updated", documentation_url: "https://docs.github.com/rest/git/refs#update-a-reference" } };
    this.d.refsPushed(before, this.d.bot);
    return ok(this.refJson(ref, sha));
  }

  /**
   * Branch protection with required status checks: GitHub takes a direct update of
   * the branch only to a commit on which every one of them passed (a commit the app
   * makes on top has none), else 422 "Protected branch update failed".
   */
  private protectionRefuses(ref: string, sha: string): DoubleResponse | undefined {
    const branch = ref.replace(/^(refs\/)?heads\//, "");
    const { expected, required } = this.d.checks.requiredNotPassed(branch, sha);
    if (expected.length === 0) return undefined;
    return unprocessable(`Protected branch update failed for refs/heads/${branch}.\n\n${expected.length} of ${required.length} required status checks are expected.`);
  }

  private deleteRef(ref: string): DoubleResponse {
    if (!this.d.git.refSha(ref)) return unprocessable("Reference does not exist");
    const before = this.d.refs;
    this.d.git.deleteRef(ref);
    this.d.refsPushed(before, this.d.bot);
    return noContent();
  }
}
