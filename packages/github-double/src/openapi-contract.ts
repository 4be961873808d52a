/**
 * GitHub REST contract checker, for the sandbox server and the tests.
 *
 * Validates the requests our Octokit instances make against GitHub's own
 * OpenAPI description (`@octokit/openapi`, api.github.com, non-dereferenced).
 *
 * Notes on the description (verified against @octokit/openapi 23.0.2):
 *
 * - The document is OpenAPI 3.0.3. Every `$ref` in it points into
 *   `#/components/schemas/...`; request bodies are always inline (never a
 *   `$ref` to `#/components/requestBodies`).
 * - `nullable: true` appears ~3,900 times. Ajv 8 does understand `nullable`,
 *   but only next to `type`: it throws `"nullable" cannot be used without
 *   "type"` for the ~130 schemas that combine `nullable` with `oneOf`/`anyOf`
 *   and no `type` (e.g. `milestone` on `POST /repos/{owner}/{repo}/issues`),
 *   and it does not add `null` to an `enum`. So we translate `nullable` away
 *   ourselves (see `allowNull`).
 * - `x-github.enabledForGitHubApps` is `true` for `GET /app` and
 *   `POST /app/installations/{installation_id}/access_tokens`, but `false` for
 *   several other app-JWT-only routes under `/app` (`/app/hook/config`,
 *   `/app/hook/deliveries...`, `DELETE /app/installations/{installation_id}`,
 *   `/app/installations/{installation_id}/suspended`). Those are false
 *   because an installation token cannot call them; the app itself (JWT) can.
 *   We therefore treat every route under `/app` as allowed regardless of the
 *   flag. `/app-manifests/...` and `/applications/...` are not app-JWT routes
 *   and are not exempted.
 * - A handful of operations have no `enabledForGitHubApps` flag at all (some
 *   dependency-graph SBOM routes, `POST /user/codespaces/{codespace_name}/publish`);
 *   they are reported as problems, with a message saying the flag is missing.
 * - `/graphql` is not in the REST description; `POST /graphql` is allowed
 *   without validation.
 * - Two pairs of paths differ only in parameter names
 *   (`/orgs/{org}/attestations/{subject_digest}` vs `.../{attestation_id}`,
 *   same under `/users/{username}`), so one normalised route can map to
 *   several spec paths; the method decides.
 * - Octokit's `compareCommitsWithBasehead` uses `/compare/{basehead}` where the
 *   description says `/compare/{base}...{head}`; the segment matcher handles it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ---------------------------------------------------------------------------
// Spec types (only what we use)

type JsonObject = Record<string, unknown>;

export interface OpenApiOperation {
  operationId?: string;
  requestBody?: {
    required?: boolean;
    content?: Record<string, { schema?: unknown }>;
  };
  "x-github"?: { enabledForGitHubApps?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

export interface OpenApiSpec {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  components: { schemas: Record<string, unknown>; [key: string]: unknown };
}

export interface CheckedRequest {
  method: string;
  /** Octokit route template (e.g. `/repos/{owner}/{repo}/issues`) or a literal path / absolute URL. */
  route: string;
  /** The request body as Octokit would send it (object, or a JSON string); `undefined` or `""` for none. */
  body?: unknown;
}

export interface FoundOperation {
  operationId: string;
  enabledForGitHubApps: boolean | undefined;
  /** The path as written in the description, e.g. `/repos/{owner}/{repo}/issues`. */
  path: string;
  /** Lower-case HTTP method as written in the description. */
  method: string;
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

// ---------------------------------------------------------------------------
// Lazy, once-per-process loading

const require = createRequire(import.meta.url);
const SPEC_FILE = "@octokit/openapi/generated/api.github.com.json";

let specCache: OpenApiSpec | undefined;

/** The parsed api.github.com description. Loaded on first use, then cached for the process. */
export function loadSpec(): OpenApiSpec {
  if (specCache === undefined) {
    const file = require.resolve(SPEC_FILE);
    specCache = JSON.parse(readFileSync(file, "utf8")) as OpenApiSpec;
  }
  return specCache;
}

interface PathIndex {
  /** normalised path (`{}` for every parameter) -> spec paths */
  exact: Map<string, string[]>;
  /** every spec path, split into segments, for the fallback matcher */
  all: Array<{ path: string; segments: string[] }>;
}

let indexCache: PathIndex | undefined;

function pathIndex(): PathIndex {
  if (indexCache === undefined) {
    const exact = new Map<string, string[]>();
    const all: PathIndex["all"] = [];
    for (const path of Object.keys(loadSpec().paths)) {
      const key = normaliseParams(path);
      const list = exact.get(key);
      if (list) list.push(path);
      else exact.set(key, [path]);
      all.push({ path, segments: path.split("/") });
    }
    indexCache = { exact, all };
  }
  return indexCache;
}

// ---------------------------------------------------------------------------
// Route matching

function normaliseParams(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}

/** Turns an Octokit route / URL into a bare path with `{}` for every parameter. */
function normaliseRoute(route: string): string {
  let path = route.trim();
  // Octokit allows "METHOD /path" routes; callers should split, but be lenient.
  path = path.replace(/^[A-Z]+\s+/, "");
  path = path.replace(/^https?:\/\/[^/]+/i, "");
  path = path.replace(/^\/api\/v3(?=\/)/, "");
  path = path.replace(/\{\?[^}]*\}/g, ""); // RFC 6570 query expansions
  path = path.split("?")[0] ?? "";
  path = path.split("#")[0] ?? "";
  path = path.replace(/:([a-z]\w+)/g, "{$1}"); // same conversion Octokit's endpoint.parse does
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (!path.startsWith("/")) path = `/${path}`;
  return normaliseParams(path);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Score how well a route segment matches a spec segment: 2 = literal equal, 1 = via parameter, -1 = no match. */
function matchSegment(routeSeg: string, specSeg: string): number {
  const specNorm = normaliseParams(specSeg);
  if (routeSeg === specNorm) return routeSeg.includes("{}") ? 1 : 2;
  if (!specSeg.includes("{")) return -1;
  // A route parameter can stand in for any parameterised spec segment (e.g. {basehead} vs {base}...{head}).
  if (routeSeg === "{}") return 1;
  const pattern = specNorm
    .split("{}")
    .map((part) => escapeRegExp(part))
    .join("[^/]+");
  const routePattern = routeSeg.split("{}").map(escapeRegExp).join("[^/]+");
  if (new RegExp(`^${pattern}$`).test(routeSeg.replaceAll("{}", "x"))) return 1;
  if (new RegExp(`^${routePattern}$`).test(specNorm.replaceAll("{}", "x"))) return 1;
  return -1;
}

/** Spec paths that match the route, best match first. */
function candidatePaths(route: string): string[] {
  const normalised = normaliseRoute(route);
  const index = pathIndex();
  const exact = index.exact.get(normalised);
  if (exact) return exact;

  const segments = normalised.split("/");
  const scored: Array<{ path: string; score: number }> = [];
  for (const entry of index.all) {
    if (entry.segments.length !== segments.length) continue;
    let score = 0;
    for (let i = 0; i < segments.length; i++) {
      const s = matchSegment(segments[i] ?? "", entry.segments[i] ?? "");
      if (s < 0) {
        score = -1;
        break;
      }
      score += s;
    }
    if (score >= 0) scored.push({ path: entry.path, score });
  }
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0]?.score;
  return scored.filter((s) => s.score === best).map((s) => s.path);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function operationAt(path: string, method: string): OpenApiOperation | undefined {
  const item = loadSpec().paths[path];
  const op = item?.[method.toLowerCase()];
  return isObject(op) ? (op as OpenApiOperation) : undefined;
}

function resolve(method: string, route: string): { path: string; op: OpenApiOperation } | { paths: string[] } {
  const paths = candidatePaths(route);
  for (const path of paths) {
    const op = operationAt(path, method);
    if (op) return { path, op };
  }
  return { paths };
}

/** Looks up the operation for an Octokit route template (parameter names are ignored). */
export function findOperation(method: string, route: string): FoundOperation | undefined {
  const found = resolve(method, route);
  if (!("op" in found)) return undefined;
  return {
    operationId: found.op.operationId ?? "",
    enabledForGitHubApps: found.op["x-github"]?.enabledForGitHubApps,
    path: found.path,
    method: method.toLowerCase(),
  };
}

// ---------------------------------------------------------------------------
// Schema conversion (OpenAPI 3.0 -> JSON Schema draft-07 for ajv)

const COMPONENT_SCHEMA_PREFIX = "#/components/schemas/";

function unescapePointer(token: string): string {
  return decodeURIComponent(token).replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Makes a schema also accept `null`, replacing OpenAPI's `nullable: true`.
 * Simple typed schemas get a type array (and `null` in their enum); anything
 * else (oneOf/anyOf/allOf/$ref/untyped) is wrapped in `anyOf: [schema, {type: null}]`.
 */
function allowNull(schema: JsonObject): JsonObject {
  const composite = ["allOf", "anyOf", "oneOf", "not", "$ref"].some((k) => k in schema);
  if (typeof schema.type === "string" && !composite) {
    const out: JsonObject = { ...schema, type: [schema.type, "null"] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  if (Array.isArray(schema.type) && !composite) {
    const types = schema.type.includes("null") ? schema.type : [...schema.type, "null"];
    const out: JsonObject = { ...schema, type: types };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: "null" }] };
}

/**
 * Copies an OpenAPI schema into a draft-07 schema: translates `nullable`, and
 * rewrites `#/components/schemas/X` refs to `#/definitions/X`, reporting each
 * referenced component through `need`. Walks only schema-valued keywords, so
 * `example`/`default`/`enum` values are left alone. Never mutates the spec.
 */
function convertSchema(node: unknown, need: (name: string) => void): unknown {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n, need));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case "nullable":
        break;
      case "$ref":
        if (typeof value === "string" && value.startsWith(COMPONENT_SCHEMA_PREFIX)) {
          const token = value.slice(COMPONENT_SCHEMA_PREFIX.length);
          need(unescapePointer(token));
          out.$ref = `#/definitions/${token}`;
        } else {
          out.$ref = value;
        }
        break;
      case "properties":
      case "patternProperties":
        out[key] = isObject(value)
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSchema(v, need)]))
          : value;
        break;
      case "items":
      case "additionalProperties":
      case "not":
      case "allOf":
      case "anyOf":
      case "oneOf":
        out[key] = convertSchema(value, need);
        break;
      default:
        out[key] = value;
    }
  }
  return node.nullable === true ? allowNull(out) : out;
}

/** Builds a self-contained draft-07 schema: the schema plus every component it reaches (cycle-safe). */
export function buildSchema(bodySchema: unknown, components: Record<string, unknown> = loadSpec().components.schemas): JsonObject {
  const definitions: JsonObject = {};
  const queue: string[] = [];
  const seen = new Set<string>();
  const need = (name: string): void => {
    if (!seen.has(name)) {
      seen.add(name);
      queue.push(name);
    }
  };
  const root = convertSchema(bodySchema, need);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const component = components[name];
    if (component === undefined) throw new Error(`OpenAPI component schema not found: ${name}`);
    definitions[name] = convertSchema(component, need);
  }
  const schema: JsonObject = isObject(root) ? { ...root } : { allOf: [root] };
  if (Object.keys(definitions).length > 0) schema.definitions = definitions;
  return schema;
}

// ---------------------------------------------------------------------------
// Validation

let ajvCache: Ajv | undefined;

/** One Ajv for every contract check (requests, responses, webhook payloads). */
export function ajv(): Ajv {
  if (ajvCache === undefined) {
    ajvCache = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormatsModule.default(ajvCache);
    // GitHub's own noreply addresses for apps ("41898282+github-actions[bot]@users.noreply.github.com")
    // fail ajv-formats' strict "email"; GitHub sends and accepts them, so any `local@domain` passes.
    ajvCache.addFormat("email", /^[^\s@]+@[^\s@]+$/);
    // GitHub-specific format ("owner/name"); accept anything rather than guess.
    ajvCache.addFormat("repo.nwo", true);
  }
  return ajvCache;
}

const validatorCache = new Map<string, ValidateFunction | null>();

function validatorFor(method: string, path: string, op: OpenApiOperation): ValidateFunction | null {
  const key = `${method.toUpperCase()} ${path}`;
  const cached = validatorCache.get(key);
  if (cached !== undefined) return cached;
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  const validator = schema === undefined ? null : ajv().compile(buildSchema(schema));
  validatorCache.set(key, validator);
  return validator;
}

export function formatError(error: ErrorObject, root = "body"): string {
  const where = `${root}${error.instancePath}`;
  let detail = error.message ?? "is invalid";
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
    detail += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (error.keyword === "additionalProperty" || error.keyword === "additionalProperties") {
    detail += `: ${String(params.additionalProperty)}`;
  }
  return `${where} ${detail}`;
}

function isAppJwtRoute(path: string): boolean {
  return path === "/app" || path.startsWith("/app/");
}

/**
 * Checks one request against the GitHub REST description. Returns
 * human-readable problems; an empty array means the request looks fine.
 */
export function checkRequest(req: CheckedRequest): string[] {
  const method = req.method.toUpperCase();
  const label = `${method} ${req.route}`;
  const normalised = normaliseRoute(req.route);

  if (normalised === "/graphql") {
    return method === "POST" ? [] : [`${label}: the GraphQL endpoint only accepts POST`];
  }

  const found = resolve(method, req.route);
  if (!("op" in found)) {
    if (found.paths.length === 0) {
      return [`${label}: unknown route (no such path in the GitHub REST API description)`];
    }
    const allowed = new Set<string>();
    for (const path of found.paths) {
      for (const m of Object.keys(loadSpec().paths[path] ?? {})) {
        if (HTTP_METHODS.has(m)) allowed.add(m.toUpperCase());
      }
    }
    return [`${label}: method ${method} is not defined for ${found.paths.join(" | ")} (allowed: ${[...allowed].join(", ")})`];
  }

  const { path, op } = found;
  const problems: string[] = [];
  const name = op.operationId ?? `${method} ${path}`;

  const enabled = op["x-github"]?.enabledForGitHubApps;
  if (enabled !== true && !isAppJwtRoute(path)) {
    problems.push(
      enabled === false
        ? `${label}: ${name} is not available to GitHub Apps (x-github.enabledForGitHubApps is false)`
        : `${label}: ${name} does not declare x-github.enabledForGitHubApps`,
    );
  }

  let body = req.body;
  const noBody = body === undefined || body === "";
  const content = op.requestBody?.content;

  if (content === undefined) {
    if (!noBody) {
      problems.push(
        `${label}: ${name} takes no request body, but one was sent (misspelt parameter?): ${JSON.stringify(body)}`,
      );
    }
    return problems;
  }

  const validate = validatorFor(method, path, op);
  if (validate === null) return problems; // non-JSON body (text/plain, octet-stream...)

  if (noBody) {
    if (op.requestBody?.required !== true) return problems;
    body = {}; // Nothing sent: check that no properties were required.
  } else if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      problems.push(`${label}: ${name} expects a JSON body, got a non-JSON string`);
      return problems;
    }
  } else if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    problems.push(`${label}: ${name} expects a JSON body, got binary data`);
    return problems;
  }

  if (!validate(body)) {
    const prefix = noBody ? `${label}: no body sent, but ${name} requires one:` : `${label}: ${name} request`;
    for (const error of validate.errors ?? []) problems.push(`${prefix} ${formatError(error)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Responses

export interface CheckedResponse {
  method: string;
  /** The request's route or literal path, as for `checkRequest`. */
  route: string;
  status: number;
  /** The parsed JSON body; a string for raw (non-JSON) answers; `undefined` for none. */
  body?: unknown;
}

const responseValidators = new Map<string, ValidateFunction>();

interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

function responseAt(op: OpenApiOperation, status: number): OpenApiResponse | undefined {
  const responses = (op.responses ?? {}) as Record<string, OpenApiResponse>;
  const entry = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  if (!entry?.$ref) return entry;
  const name = entry.$ref.split("/").pop() ?? "";
  return (loadSpec().components.responses as Record<string, OpenApiResponse> | undefined)?.[name];
}

/**
 * Checks one answer against the operation's documented responses: the status must
 * be documented (any 4xx/5xx may also be a plain `{ message }` error, as GitHub's
 * are), and a JSON body must match the status's schema. A double that answers
 * this way answers as GitHub does, shape for shape.
 */
export function checkResponse(res: CheckedResponse): string[] {
  const method = res.method.toUpperCase();
  const label = `${method} ${res.route} → ${res.status}`;
  if (normaliseRoute(res.route) === "/graphql") return [];
  const found = resolve(method, res.route);
  if (!("op" in found)) return [];
  const { path, op } = found;
  const documented = responseAt(op, res.status);
  if (!documented) {
    if (res.status >= 400) return errorBody(label, res.body);
    const statuses = Object.keys((op.responses ?? {}) as object).join(", ");
    return [`${label}: ${op.operationId ?? path} does not answer ${res.status} (documented: ${statuses})`];
  }
  const schema = documented.content?.["application/json"]?.schema;
  if (schema === undefined) {
    // GitHub's errors carry `{ message }` even where the description documents no body (e.g. 422 on DELETE /git/refs/{ref}).
    if (res.status >= 400) return errorBody(label, res.body);
    const empty = res.body === undefined || res.body === "";
    return empty || documented.content !== undefined ? [] : [`${label}: ${op.operationId ?? path} answers ${res.status} with no body, but one was sent`];
  }
  if (typeof res.body === "string" || res.body === undefined) return [`${label}: expected a JSON body, got ${res.body === undefined ? "none" : "text"}`];
  const key = `${method} ${path} ${res.status}`;
  let validate = responseValidators.get(key);
  if (validate === undefined) {
    validate = ajv().compile(buildSchema(schema));
    responseValidators.set(key, validate);
  }
  if (validate(res.body)) return [];
  return (validate.errors ?? []).slice(0, 10).map((error) => `${label}: ${op.operationId ?? path} response ${formatError(error, "body")}`);
}

function errorBody(label: string, body: unknown): string[] {
  const message = isObject(body) ? body.message : undefined;
  return typeof message === "string" ? [] : [`${label}: an error answer needs a \`message\` string, got ${JSON.stringify(body)}`];
}
