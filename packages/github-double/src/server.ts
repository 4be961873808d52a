import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { GitHubDouble } from "./github-double.js";
import { checkRequest, checkResponse } from "./openapi-contract.js";

/**
 * `lost`: the double does the write, then answers 502, as when GitHub performed a
 * request and the connection failed on the way back. Only writes lose answers.
 */
export type FaultKind = "5xx" | "429" | "secondary" | "lost" | "404";

/**
 * Faults to inject on REST requests (never on the token exchange), at `rate` in
 * [0, 1]. A fault is never followed by another, so each is transient: the
 * request's retry gets through, as it almost always does on GitHub.
 */
export interface FaultPlan {
  rate: number;
  kinds: FaultKind[];
  retryAfterSeconds?: number;
  /** Seeds the dice, so a run with faults repeats exactly. */
  seed?: number;
  /** Only requests whose `METHOD /path` matches (an outage of one API): every one of them fails, not only every other. */
  only?: RegExp;
}

/**
 * The GitHub double over HTTP at the GitHub Enterprise Server layout: REST under
 * `/api/v3`, GraphQL at `/api/graphql`, and git's smart HTTP at
 * `/<owner>/<repo>.git`. Every REST request is checked against GitHub's OpenAPI
 * description; a violation is answered as GitHub would (404, 403 or 422) and
 * recorded, so a test can fail on it. Every answer is checked too: its status
 * must be one the operation documents and its body must match the schema, or the
 * problem is recorded in `responseViolations` (the double's fault, not the app's).
 */
export class SandboxServer {
  readonly violations: string[] = [];
  /** Answers of the double that GitHub's description does not allow: a status it does not document, a body off its schema. */
  readonly responseViolations: string[] = [];
  readonly injected: string[] = [];
  faults: FaultPlan | undefined;
  /** Added to every REST answer, as a round trip to GitHub takes: lets a test catch a process mid-event. */
  latencyMs = 0;
  /** Checks every answer against GitHub's description (the double's own test); a benchmark turns it off to measure the app, not the double. */
  checkAnswers = true;
  private random: () => number = Math.random;
  private lastWasFault = false;

  private constructor(
    readonly double: GitHubDouble,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(double: GitHubDouble): Promise<SandboxServer> {
    const server = createServer();
    // A client reuses an idle keep-alive connection until the server says otherwise; Node's 5 s default
    // closes it under a client that just picked it (ECONNRESET, "other side closed") on a busy machine.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const instance = new SandboxServer(double, server, (server.address() as AddressInfo).port);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      instance.route(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: String(error) }));
      });
    });
    return instance;
  }

  /** `127.0.0.1:<port>`: what `GHE_HOST` is set to. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `http://${this.host}/api/v3`;
  }

  /** An authenticated clone URL, the way a runner gets one with an installation token. */
  cloneUrl(token: string): string {
    return `http://x-access-token:${token}@${this.host}/${this.double.owner}/${this.double.repo}.git`;
  }

  injectFaults(plan: FaultPlan | undefined): void {
    this.faults = plan;
    this.random = plan?.seed === undefined ? Math.random : mulberry32(plan.seed);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${this.host}`);
    const git = /^\/([^/]+)\/([^/]+)\.git(\/.*)$/.exec(url.pathname);
    if (git) return this.git(req, res, url, git[3] ?? "/");
    // Blob storage behind Actions' redirects: signed URLs on GitHub, no auth header.
    if (url.pathname.startsWith("/_blobs/")) {
      const blob = this.double.blob(url.pathname.slice("/_blobs/".length));
      if (!blob) return send(res, 404, { message: "Not Found" });
      res.writeHead(200, { "content-type": blob.type });
      res.end(typeof blob.body === "string" ? blob.body : Buffer.from(blob.body));
      return;
    }
    const body = await readBody(req);
    let path: string;
    if (url.pathname === "/api/graphql") path = "/graphql";
    else if (url.pathname.startsWith("/api/v3/")) path = url.pathname.slice("/api/v3".length);
    else return send(res, 404, { message: "Not Found" });

    const method = (req.method ?? "GET").toUpperCase();
    const json = parseJson(body);
    const auth = this.authenticate(req, method, path);
    if (auth) return send(res, auth.status, { message: auth.message, documentation_url: "https://docs.github.com/rest" });

    const problems = checkRequest(json === undefined ? { method, route: path } : { method, route: path, body: json });
    if (problems.length > 0) {
      this.violations.push(...problems);
      const status = problems.some((p) => /unknown route|is not defined for/.test(p)) ? 404 : problems.some((p) => /not available to GitHub Apps/.test(p)) ? 403 : 422;
      return send(res, status, { message: status === 403 ? "Resource not accessible by integration" : status === 404 ? "Not Found" : "Validation Failed", errors: problems });
    }

    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const fault = this.fault(method, path);
    if (fault && !fault.lost) return send(res, fault.status, fault.body, fault.headers);

    const response = this.double.handle({ method, path, query: url.searchParams, body: json, headers: lowerHeaders(req) });
    if (fault?.lost) return send(res, fault.status, fault.body, fault.headers);
    const type = response.headers?.["content-type"];
    if (this.checkAnswers && (type === undefined || type.includes("json"))) this.responseViolations.push(...checkResponse({ method, route: path, status: response.status, body: response.body }));
    send(res, response.status, response.body, this.localHeaders(response.headers));
  }

  /** Links and redirects the double writes for api.github.com (or as bare paths) point here, as a GHES host's do. */
  private localHeaders(headers: Record<string, string> = {}): Record<string, string> {
    const out = { ...headers };
    if (out.location?.startsWith("/")) out.location = `http://${this.host}${out.location}`;
    if (out.link) out.link = out.link.replaceAll("https://api.github.com/", `${this.apiUrl}/`);
    return out;
  }

  /** REST needs a token the double issued, within its scope (or the app's JWT for `/app` routes), as GitHub does. */
  private authenticate(req: IncomingMessage, method: string, path: string): { status: number; message: string } | undefined {
    const header = req.headers.authorization ?? "";
    const [scheme = "", credential = ""] = header.split(" ");
    if (path === "/app" || path.startsWith("/app/")) return /^bearer$/i.test(scheme) && credential ? undefined : { status: 401, message: "A JSON web token could not be decoded" };
    if (!/^(token|bearer)$/i.test(scheme)) return { status: 401, message: "Bad credentials" };
    return this.double.tokenRefuses(credential, method, path);
  }

  private fault(method: string, path: string): { status: number; body: unknown; headers: Record<string, string>; lost?: boolean } | undefined {
    const plan = this.faults;
    const kinds = plan?.kinds.filter((k) => k !== "lost" || method !== "GET") ?? [];
    if (!plan || kinds.length === 0 || path.includes("/access_tokens")) return undefined;
    if (plan.only && !plan.only.test(`${method} ${path}`)) return undefined;
    if ((this.lastWasFault && !plan.only) || this.random() >= plan.rate) {
      this.lastWasFault = false;
      return undefined;
    }
    this.lastWasFault = true;
    const kind = kinds[Math.floor(this.random() * kinds.length)] ?? "5xx";
    const retryAfter = String(plan.retryAfterSeconds ?? 1);
    this.injected.push(`${kind} ${method} ${path}`);
    switch (kind) {
      case "lost":
        return { status: 502, body: { message: "Server Error" }, headers: {}, lost: true };
      case "404":
        return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" }, headers: {} };
      case "5xx":
        return { status: 502, body: { message: "Server Error" }, headers: {} };
      case "429":
        return { status: 429, body: { message: "API rate limit exceeded" }, headers: { "retry-after": retryAfter, "x-ratelimit-remaining": "0" } };
      case "secondary":
        return {
          status: 403,
          body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." },
          headers: { "retry-after": retryAfter },
        };
    }
  }

  /** git's smart HTTP through `git http-backend`, behind the installation token. */
  private async git(req: IncomingMessage, res: ServerResponse, url: URL, rest: string): Promise<void> {
    const [user = "", password = ""] = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /i, ""), "base64").toString().split(":");
    const pushing = rest === "/git-receive-pack";
    // A push starts with the ref advertisement for receive-pack: that is where GitHub refuses a read-only token.
    const refused = this.double.gitRefuses(password, pushing || url.searchParams.get("service") === "git-receive-pack");
    if (refused) {
      res.writeHead(refused.status, refused.status === 401 ? { "www-authenticate": 'Basic realm="GitHub"' } : {}).end(refused.message);
      return;
    }
    const before = pushing ? this.double.refs : undefined;
    const input = await readBody(req);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.double.git.root,
      GIT_HTTP_EXPORT_ALL: "1",
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: this.double.git.root,
      PATH_INFO: `/${this.double.owner}/${this.double.repo}.git${rest}`,
      REQUEST_METHOD: req.method ?? "GET",
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      CONTENT_LENGTH: String(input.length),
      REMOTE_USER: user,
      DOUBLE_WORKFLOWS: this.double.workflowsLevel(password),
      REMOTE_ADDR: "127.0.0.1",
      ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
      ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
    };
    const output = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn("git", ["http-backend"], { env });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.on("error", reject);
      child.on("close", () => resolve(Buffer.concat(chunks)));
      // git may answer and exit before reading all of a request body (a rejected push): its answer says why.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    });
    const split = output.indexOf("\r\n\r\n");
    const headerEnd = split >= 0 ? split : output.indexOf("\n\n");
    const headerText = output.subarray(0, headerEnd).toString();
    const payload = output.subarray(headerEnd + (split >= 0 ? 4 : 2));
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of headerText.split(/\r?\n/)) {
      const at = line.indexOf(":");
      if (at < 0) continue;
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    // git moved the refs itself: the double's cache of them is out of date.
    if (before) this.double.git.invalidateRefs();
    res.writeHead(status, headers).end(payload);
    if (before) this.double.refsPushed(before, user);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-request-id": "SANDBOX", ...headers });
  res.end(status === 204 ? undefined : text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return body.toString("utf8");
  }
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

/** A small seeded generator: the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
