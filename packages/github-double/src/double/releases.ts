import type { GitHubDouble } from "../github-double.js";
import type { DoubleResponse, DoubleUser } from "./model.js";
import { created, notFound, ok, paginate, route, unprocessable, type Route } from "./router.js";

export interface DoubleRelease {
  id: number;
  tagName: string;
  target: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: DoubleUser;
  createdAt: string;
  publishedAt: string | null;
}

/**
 * Releases: list (drafts only for those who can push, as the app can), create and
 * edit. A release's tag must be named; a draft's tag need not exist yet.
 */
export class ReleasesArea {
  private nextId = 1;

  constructor(private readonly d: GitHubDouble) {}

  routes(): Route[] {
    return [
      route("GET", "/releases", ({ query }) => paginate([...this.d.releases].sort((a, b) => b.id - a.id).map((r) => this.json(r)), query, `/repos/${this.d.owner}/${this.d.repo}/releases`)),
      route("POST", "/releases", ({ body }) => this.create(body, this.d.bot)),
      route("GET", "/releases/{release_id}", ({ params }) => {
        const release = this.d.releases.find((r) => r.id === Number(params.release_id));
        return release ? ok(this.json(release)) : notFound();
      }),
      route("PATCH", "/releases/{release_id}", ({ params, body }) => this.update(Number(params.release_id), body)),
    ];
  }

  create(body: Record<string, unknown>, by: DoubleUser): DoubleResponse {
    if (typeof body.tag_name !== "string" || !body.tag_name) return unprocessable("tag_name is required");
    if (this.d.releases.some((r) => r.tagName === body.tag_name && !r.draft) && body.draft !== true) return unprocessable("Validation Failed: tag_name already_exists");
    const now = this.d.now();
    const draft = body.draft === true;
    const release: DoubleRelease = {
      id: this.nextId++,
      tagName: body.tag_name,
      target: typeof body.target_commitish === "string" ? body.target_commitish : this.d.defaultBranch,
      name: typeof body.name === "string" ? body.name : null,
      body: typeof body.body === "string" ? body.body : null,
      draft,
      prerelease: body.prerelease === true,
      author: by,
      createdAt: now,
      publishedAt: draft ? null : now,
    };
    this.d.releases.push(release);
    return created(this.json(release));
  }

  update(id: number, body: Record<string, unknown>): DoubleResponse {
    const release = this.d.releases.find((r) => r.id === id);
    if (!release) return notFound();
    if (typeof body.body === "string") release.body = body.body;
    if (typeof body.name === "string") release.name = body.name;
    if (typeof body.tag_name === "string" && body.tag_name) release.tagName = body.tag_name;
    if (typeof body.draft === "boolean") {
      if (release.draft && !body.draft) release.publishedAt = this.d.now();
      release.draft = body.draft;
    }
    return ok(this.json(release));
  }

  json(r: DoubleRelease) {
    const { shapes } = this.d;
    const url = shapes.api(`/releases/${r.id}`);
    return {
      url,
      html_url: shapes.web(`/releases/${r.draft ? `tag/untagged-${r.id}` : `tag/${r.tagName}`}`),
      assets_url: `${url}/assets`,
      upload_url: `https://uploads.github.com/repos/${this.d.owner}/${this.d.repo}/releases/${r.id}/assets{?name,label}`,
      tarball_url: r.draft ? null : shapes.api(`/tarball/${r.tagName}`),
      zipball_url: r.draft ? null : shapes.api(`/zipball/${r.tagName}`),
      id: r.id,
      node_id: `RE_${Buffer.from(String(r.id)).toString("base64")}`,
      tag_name: r.tagName,
      target_commitish: r.target,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      immutable: false,
      created_at: r.createdAt,
      updated_at: r.createdAt,
      published_at: r.publishedAt,
      author: shapes.user(r.author),
      assets: [],
    };
  }
}
