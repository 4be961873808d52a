import type { DoubleResponse } from "./model.js";

/**
 * The double's one router: each area (issues, pulls, reviews, checks, git data,
 * Actions) lists its routes as GitHub's templates, relative to
 * `/repos/{owner}/{repo}`; the first whose method and segments match answers.
 * A parameter written `{name+}` takes the rest of the path (refs and file paths
 * hold slashes); ids and numbers match digits only.
 */

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  headers: Record<string, string | undefined>;
}

export interface Route {
  method: string;
  /** The template as GitHub documents it, e.g. `/pulls/{pull_number}/files`: what `counts` keys on. */
  template: string;
  segments: string[];
  run: (request: RouteRequest) => DoubleResponse;
}

const NUMERIC = /_(number|id)$/;

export function route(method: string, path: string, run: (request: RouteRequest) => DoubleResponse): Route {
  return { method, template: path.replaceAll("+}", "}"), segments: path.split("/").slice(1), run };
}

/** The route answering `method` on `rest` (the path after `/repos/{owner}/{repo}`), with its parameters decoded. */
export function matchRoute(routes: readonly Route[], method: string, rest: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = rest.split("/").slice(1);
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const params = matchSegments(candidate.segments, parts);
    if (params) return { route: candidate, params };
  }
  return undefined;
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of template.entries()) {
    const param = /^\{(\w+)(\+?)\}$/.exec(segment);
    const part = parts[i];
    if (part === undefined || part === "") return undefined;
    if (!param) {
      if (segment !== part) return undefined;
      continue;
    }
    const [, name = "", greedy] = param;
    if (greedy) {
      params[name] = parts.slice(i).map(decode).join("/");
      return params;
    }
    const value = decode(part);
    if (NUMERIC.test(name) && name !== "workflow_id" && !/^\d+$/.test(value)) return undefined;
    params[name] = value;
  }
  return parts.length === template.length ? params : undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

// ---- answers -------------------------------------------------------------------------

const DOCS = "https://docs.github.com/rest";

export const ok = (body: unknown): DoubleResponse => ({ status: 200, body });
export const created = (body: unknown): DoubleResponse => ({ status: 201, body });
export const noContent = (): DoubleResponse => ({ status: 204 });
export const notFound = (message = "Not Found"): DoubleResponse => ({ status: 404, body: { message, documentation_url: DOCS } });
/** A 422 with GitHub's bare message, e.g. "Reference does not exist". */
export const unprocessable = (message: string): DoubleResponse => ({ status: 422, body: { message, documentation_url: DOCS } });
/** A 422 "Validation Failed" naming the resource, field and code, as GitHub's validation errors do. */
export const invalid = (resource: string, field: string, code: string, message?: string): DoubleResponse => ({
  status: 422,
  body: { message: "Validation Failed", errors: [{ resource, ...(field ? { field } : {}), code, ...(message ? { message } : {}) }], documentation_url: DOCS },
});
/** A 422 "Unprocessable Entity" with plain-text errors, as the reviews API answers. */
export const rejected = (...errors: string[]): DoubleResponse => ({ status: 422, body: { message: "Unprocessable Entity", errors, documentation_url: DOCS } });

/**
 * One page of `list` and GitHub's `link` header (`next`, `last`, and `prev`,
 * `first` past page one). Links name api.github.com; the HTTP server rewrites
 * them to its own address, as GitHub Enterprise Server answers.
 */
export function paginate(list: readonly unknown[], query: URLSearchParams, path: string): DoubleResponse {
  const perPage = Math.min(100, Number(query.get("per_page") ?? 30) || 30);
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(list.length / perPage));
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(query);
    q.set("page", String(p));
    q.set("per_page", String(perPage));
    return `<https://api.github.com${path}?${q.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, "prev")] : []),
    ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
    ...(page > 1 ? [link(1, "first")] : []),
  ];
  return { status: 200, body: list.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(", ") } : {} };
}

/**
 * GitHub's limits on what people and apps write, as its 422s say them: a title of at
 * most 256 characters, a body of at most 65,536, and no NUL character in either.
 */
export function textRefused(resource: string, body: Record<string, unknown>, limits: { title?: number; body?: number; message?: number }): DoubleResponse | undefined {
  for (const [field, max] of Object.entries(limits)) {
    const value = body[field];
    if (typeof value !== "string") continue;
    if (value.length > max) return invalid(resource, field, "custom", `${field} is too long (maximum is ${max} characters)`);
    if (value.includes("\u0000")) return invalid(resource, field, "custom", `${field} contains a null character`);
  }
  return undefined;
}
