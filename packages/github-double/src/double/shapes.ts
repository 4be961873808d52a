import type { CommitInfo, GitIdentity } from "../git-repo.js";
import type { DoubleApp, DoubleUser } from "./model.js";

/**
 * GitHub's JSON for the objects every area shares (users, the repository, apps,
 * labels, commits), complete enough to pass the REST description's response
 * schemas and the webhook schemas. URLs name api.github.com and github.com, as
 * GitHub's answers do; only what the app reads has to be right, the rest has to
 * be there.
 */

export const API = "https://api.github.com";
export const WEB = "https://github.com";
/** When the sample repository was created: fixed, so answers repeat. */
const REPO_CREATED = "2024-01-02T03:04:05Z";

export class Shapes {
  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch: string,
  ) {}

  /** `https://api.github.com/repos/<owner>/<repo><path>`. */
  api(path = ""): string {
    return `${API}/repos/${this.owner}/${this.repo}${path}`;
  }

  /** `https://github.com/<owner>/<repo><path>`. */
  web(path = ""): string {
    return `${WEB}/${this.owner}/${this.repo}${path}`;
  }

  user(u: DoubleUser | { login: string; id: number; type: "User" | "Bot" | "Organization" }) {
    const url = `${API}/users/${encodeURIComponent(u.login)}`;
    return {
      login: u.login,
      id: u.id,
      node_id: `${u.type === "Bot" ? "BOT" : u.type === "Organization" ? "O" : "U"}_kgDO${u.id}`,
      avatar_url: `https://avatars.githubusercontent.com/${u.type === "Bot" ? "in" : "u"}/${u.id}?v=4`,
      gravatar_id: "",
      url,
      html_url: u.type === "Bot" ? `${WEB}/apps/${encodeURIComponent(u.login.replace(/\[bot\]$/, ""))}` : `${WEB}/${encodeURIComponent(u.login)}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: u.type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  /** The organization that owns the repository, as a user object. */
  ownerUser() {
    return this.user({ login: this.owner, id: 1, type: "Organization" });
  }

  /** The full repository object (a superset of the minimal one), as REST answers and webhooks carry it. */
  repository(pushedAt = REPO_CREATED) {
    const api = this.api();
    return {
      id: 4_242,
      node_id: "R_kgDOAAAQkg",
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      private: false,
      owner: this.ownerUser(),
      html_url: this.web(),
      description: null,
      fork: false,
      url: api,
      archive_url: `${api}/{archive_format}{/ref}`,
      assignees_url: `${api}/assignees{/user}`,
      blobs_url: `${api}/git/blobs{/sha}`,
      branches_url: `${api}/branches{/branch}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      comments_url: `${api}/comments{/number}`,
      commits_url: `${api}/commits{/sha}`,
      compare_url: `${api}/compare/{base}...{head}`,
      contents_url: `${api}/contents/{+path}`,
      contributors_url: `${api}/contributors`,
      deployments_url: `${api}/deployments`,
      downloads_url: `${api}/downloads`,
      events_url: `${api}/events`,
      forks_url: `${api}/forks`,
      git_commits_url: `${api}/git/commits{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_url: `git://github.com/${this.owner}/${this.repo}.git`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      issue_events_url: `${api}/issues/events{/number}`,
      issues_url: `${api}/issues{/number}`,
      keys_url: `${api}/keys{/key_id}`,
      labels_url: `${api}/labels{/name}`,
      languages_url: `${api}/languages`,
      merges_url: `${api}/merges`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      pulls_url: `${api}/pulls{/number}`,
      releases_url: `${api}/releases{/id}`,
      ssh_url: `git@github.com:${this.owner}/${this.repo}.git`,
      stargazers_url: `${api}/stargazers`,
      statuses_url: `${api}/statuses/{sha}`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      tags_url: `${api}/tags`,
      teams_url: `${api}/teams`,
      trees_url: `${api}/git/trees{/sha}`,
      clone_url: `${this.web()}.git`,
      mirror_url: null,
      hooks_url: `${api}/hooks`,
      svn_url: this.web(),
      homepage: null,
      language: "JavaScript",
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 1,
      default_branch: this.defaultBranch,
      open_issues_count: 0,
      open_issues: 0,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: "public",
      pushed_at: pushedAt,
      created_at: REPO_CREATED,
      updated_at: REPO_CREATED,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
    };
  }

  /** A GitHub App (`integration`), as check runs, suites and comments name it. */
  app(app: DoubleApp) {
    return {
      id: app.id,
      slug: app.slug,
      node_id: `A_kwDO${app.id}`,
      client_id: `Iv1.${app.slug.replace(/[^a-z0-9]/g, "").slice(0, 12)}`,
      owner: this.ownerUser(),
      name: app.name,
      description: null,
      external_url: `${WEB}/apps/${app.slug}`,
      html_url: `${WEB}/apps/${app.slug}`,
      created_at: REPO_CREATED,
      updated_at: REPO_CREATED,
      permissions: { checks: "write", contents: "write", issues: "write", pull_requests: "write", actions: "write", metadata: "read", statuses: "read" },
      events: ["check_run", "check_suite", "issues", "issue_comment", "pull_request", "status", "workflow_run"],
    };
  }

  label(name: string, meta: { color: string; description: string | null }) {
    return {
      id: labelId(name),
      node_id: `LA_kwDO${labelId(name)}`,
      url: this.api(`/labels/${encodeURIComponent(name)}`),
      name,
      color: meta.color,
      description: meta.description,
      default: false,
    };
  }

  gitIdentity(who: GitIdentity) {
    return { name: who.name, email: who.email, date: who.date };
  }

  /** The user a git identity belongs to, by the double's rule (login from the email's local part). */
  commitUser(who: GitIdentity, user: (login: string, type?: "User" | "Bot") => DoubleUser) {
    const login = who.email.endsWith("@users.noreply.github.com") ? (who.email.split("@")[0] ?? "").replace(/^\d+\+/, "") : undefined;
    return login ? this.user(user(login, login.endsWith("[bot]") ? "Bot" : "User")) : null;
  }

  /** A commit as the commits, pulls and compare APIs list it (`commit` schema). */
  commit(info: CommitInfo, user: (login: string, type?: "User" | "Bot") => DoubleUser) {
    return {
      sha: info.sha,
      node_id: `C_kwDO${info.sha.slice(0, 12)}`,
      url: this.api(`/commits/${info.sha}`),
      html_url: this.web(`/commit/${info.sha}`),
      comments_url: this.api(`/commits/${info.sha}/comments`),
      commit: {
        url: this.api(`/git/commits/${info.sha}`),
        author: this.gitIdentity(info.author),
        committer: this.gitIdentity(info.committer),
        message: info.message.trimEnd(),
        comment_count: 0,
        tree: { sha: info.tree, url: this.api(`/git/trees/${info.tree}`) },
        verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
      },
      author: this.commitUser(info.author, user),
      committer: this.commitUser(info.committer, user),
      parents: info.parents.map((sha) => ({ sha, url: this.api(`/commits/${sha}`), html_url: this.web(`/commit/${sha}`) })),
    };
  }

  /** A commit as the Git Data API answers it (`git-commit` schema). */
  gitCommit(info: CommitInfo) {
    return {
      sha: info.sha,
      node_id: `C_kwDO${info.sha.slice(0, 12)}`,
      url: this.api(`/git/commits/${info.sha}`),
      html_url: this.web(`/commit/${info.sha}`),
      author: this.gitIdentity(info.author),
      committer: this.gitIdentity(info.committer),
      tree: { sha: info.tree, url: this.api(`/git/trees/${info.tree}`) },
      message: info.message.trimEnd(),
      parents: info.parents.map((sha) => ({ sha, url: this.api(`/git/commits/${sha}`), html_url: this.web(`/commit/${sha}`) })),
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    };
  }

  /** A commit as a push, check suite or workflow run names its head (`simple-commit`). */
  simpleCommit(info: CommitInfo) {
    return {
      id: info.sha,
      tree_id: info.tree,
      message: info.message.trimEnd(),
      timestamp: info.committer.date,
      author: { name: info.author.name, email: info.author.email },
      committer: { name: info.committer.name, email: info.committer.email },
    };
  }
}

function labelId(name: string): number {
  return 5_000_000 + [...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 1_000_000, 7);
}
