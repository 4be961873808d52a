/**
 * Integration-test harness: a real Probot instance, driven through
 * `probot.receive`, whose Octokit records every REST/GraphQL request and
 * checks it against GitHub's OpenAPI description (see ./openapi.ts).
 *
 * HTTP is expected to be mocked with nock (network is disabled in ./setup.ts).
 * With `appId` + `privateKey`, the first installation request in each test
 * triggers `POST https://api.github.com/app/installations/{id}/access_tokens`;
 * mock it with `nockInstallationToken()`. The token exchange is made through
 * the app-level (JWT) Octokit, so it passes through the contract plugin too:
 * it appears in `requests`/`routeCounts()` as
 * `POST /app/installations/{installation_id}/access_tokens`, recorded just
 * after the first installation request that triggered it (our hook runs
 * before the auth hook).
 */
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit, type ApplicationFunction, type Logger } from "probot";
import { checkRequest, findOperation } from "@software-factory/github-double";

export interface RecordedRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Octokit route template before expansion, e.g. `/repos/{owner}/{repo}/issues`. */
  route: string;
  /** Fully expanded URL (including query string for GET/HEAD). */
  url?: string;
  /** The request body Octokit will send (before JSON serialisation); absent if none. */
  body?: unknown;
}

export interface TestAppOptions {
  /** Run the OpenAPI contract check on every request (default true). */
  checkContract?: boolean;
  /** Logger for Probot; defaults to a silent pino logger. */
  log?: Logger;
}

export interface TestApp {
  probot: Probot;
  /** Every request made through any Octokit of this app (app-level and installation-level), in order. */
  requests: RecordedRequest[];
  /** Contract problems found, one string per problem. */
  violations: string[];
  /** Number of requests per `"METHOD route"`. */
  routeCounts(): Record<string, number>;
  /** Shorthand for `probot.receive(event)`. */
  receive: Probot["receive"];
}

let privateKeyCache: string | undefined;

/** A throwaway RSA private key (PEM, PKCS#1), generated once per process. */
export function testPrivateKey(): string {
  if (privateKeyCache === undefined) {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    privateKeyCache = privateKey;
  }
  return privateKeyCache;
}

/** A pino logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

type OctokitInstance = InstanceType<typeof ProbotOctokit>;

export async function createTestApp(appFn: ApplicationFunction, options: TestAppOptions = {}): Promise<TestApp> {
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const checkContract = options.checkContract ?? true;

  const contractPlugin = (octokit: Pick<OctokitInstance, "hook" | "request">): void => {
    octokit.hook.before("request", (requestOptions) => {
      const method = requestOptions.method.toUpperCase();
      const route = requestOptions.url;
      // endpoint.parse is what @octokit/request runs next: it expands the
      // template and separates URL parameters from the body.
      const parsed = octokit.request.endpoint.parse(requestOptions);
      const recorded: RecordedRequest = { method, route, url: parsed.url };
      if (parsed.body !== undefined && parsed.body !== "") recorded.body = parsed.body;
      requests.push(recorded);
      if (checkContract) {
        const problems = checkRequest(recorded.body === undefined ? { method, route } : { method, route, body: recorded.body });
        violations.push(...problems);
      }
    });
  };

  const Octokit = ProbotOctokit.defaults((instanceOptions: object) => ({
    ...instanceOptions,
    retry: { enabled: false },
    throttle: { enabled: false },
  })).plugin(contractPlugin);

  const probot = new Probot({
    appId: 1,
    privateKey: testPrivateKey(),
    secret: "test-secret",
    Octokit,
    log: options.log ?? silentLogger(),
  });
  await probot.load(appFn);

  return {
    probot,
    requests,
    violations,
    routeCounts() {
      const counts: Record<string, number> = {};
      for (const r of requests) {
        const key = routeKey(r);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    receive: (event) => probot.receive(event),
  };
}

/** `METHOD /route/{template}`: paginated requests carry an expanded URL, counted under their template. */
export function routeKey(r: RecordedRequest): string {
  return `${r.method} ${findOperation(r.method, r.route)?.path ?? r.route}`;
}

/**
 * Mocks the installation token exchange
 * (`POST /app/installations/{installationId}/access_tokens`). Probot caches
 * the token per Probot instance, so one exchange per `createTestApp` call.
 */
export function nockInstallationToken(installationId = 1): nock.Scope {
  return nock("https://api.github.com")
    .post(`/app/installations/${installationId}/access_tokens`)
    .reply(201, {
      token: "ghs_test_installation_token",
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: { issues: "write", contents: "write", pull_requests: "write", metadata: "read" },
      repository_selection: "all",
    });
}

/** Throws (listing them) if any nock interceptors were never used. */
export function expectNoPendingMocks(): void {
  const pending = nock.pendingMocks();
  if (pending.length > 0) {
    throw new Error(`Pending nock mocks (never requested):\n  ${pending.join("\n  ")}`);
  }
}
