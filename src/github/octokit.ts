import { ProbotOctokit } from "probot";

/** Retries per request after a rate limit, and the longest wait worth holding a job for. */
export const RATE_LIMIT_RETRIES = 3;
export const MAX_RETRY_AFTER_SECONDS = 60;

interface ThrottledRequest {
  method: string;
  url: string;
  request: { retryCount: number };
}

type Log = { warn: (message: string) => void };

/**
 * Decides whether to retry after a primary (429/403 quota) or secondary rate limit:
 * honour `retry-after`, a few times, and give up rather than wait for minutes.
 * Probot's own handler never retries a secondary limit.
 */
export function shouldRetry(kind: "primary" | "secondary", retryAfter: number, options: ThrottledRequest, log: Log): boolean {
  const attempt = options.request.retryCount + 1;
  if (attempt > RATE_LIMIT_RETRIES || retryAfter > MAX_RETRY_AFTER_SECONDS) {
    log.warn(`${kind} rate limit on ${options.method} ${options.url}: giving up after ${attempt - 1} retries (retry-after ${retryAfter} s)`);
    return false;
  }
  log.warn(`${kind} rate limit on ${options.method} ${options.url}: retry ${attempt} of ${RATE_LIMIT_RETRIES} in ${retryAfter} s`);
  return true;
}

/**
 * POSTs that GitHub answers with something idempotent: adding labels or a reaction
 * twice, or a GraphQL mutation the app only uses for idempotent changes (ready for
 * review, pin). Every other POST creates something.
 */
const IDEMPOTENT_POSTS = [/^\/graphql$/, /\/issues\/\{issue_number\}\/labels$/, /\/reactions$/];

/**
 * A POST that creates something is never retried blindly: when its answer is lost
 * (a 502 after GitHub did the work), a second POST would make a second comment or
 * check run. The request fails instead, and the line tries the whole event again
 * from a fresh read, which finds what the first POST made.
 */
export function noBlindRetries(octokit: { hook: { before(name: "request", hook: (options: { method: string; url: string; request?: Record<string, unknown> }) => void): void } }): void {
  octokit.hook.before("request", (options) => {
    if (options.method !== "POST" || IDEMPOTENT_POSTS.some((route) => route.test(options.url))) return;
    options.request = { ...options.request, retries: 0 };
  });
}

/** Probot's Octokit with the factory's rate-limit and retry policy. `npm start` and the sandbox run with it. */
export function factoryOctokit() {
  return ProbotOctokit.plugin(noBlindRetries).defaults((options: Record<string, unknown>) => {
    const log = (options.log as Log | undefined) ?? console;
    return {
      ...options,
      throttle: {
        ...(options.throttle as object),
        onRateLimit: (retryAfter: number, request: ThrottledRequest) => shouldRetry("primary", retryAfter, request, log),
        onSecondaryRateLimit: (retryAfter: number, request: ThrottledRequest) => shouldRetry("secondary", retryAfter, request, log),
      },
    };
  });
}
