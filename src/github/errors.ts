/** The HTTP status of an Octokit RequestError, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/** GitHub's 422 carries `errors[].message`; the text tells "already exists" from other validation failures. */
export function validationMessages(error: unknown): string {
  const response = (error as { response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string }> } } }).response;
  const data = response?.data;
  return [data?.message, ...(data?.errors ?? []).map((e) => `${e.code ?? ""} ${e.message ?? ""}`)].join(" ");
}

/**
 * GitHub's final answer to a request (a 4xx that asking again would not change): what
 * a step may report and go on from. Anything else (GitHub failing for now, a network
 * error, the artifact's lock lost before a write) is thrown, so the event is tried again.
 */
export function isRefusal(error: unknown): boolean {
  return statusOf(error) !== undefined && !isTransient(error);
}

/**
 * GitHub refused a ref update because the branch moved since it was read (422, "Update
 * is not a fast forward"): read again, and the write may go through.
 */
export function isBranchMoved(error: unknown): boolean {
  return statusOf(error) === 422 && /not a fast.forward/i.test((error as Error).message ?? "");
}

/**
 * GitHub refused a pull request for a head it does not see (422, "No commits between
 * main and factory/…", or the head "invalid"). Right after a branch is made, the pull
 * request side can lag behind it for a moment: for a branch its caller just made with
 * a commit of its own (intake's), asking again a little later is worth it. Elsewhere
 * (a branch that already existed) it is final.
 */
export function isHeadNotYetSeen(error: unknown): boolean {
  return statusOf(error) === 422 && /No commits between|"field":"head","code":"invalid"|head.{0,20}\binvalid\b/i.test((error as Error).message ?? "");
}

/**
 * Whether GitHub (or the way to it) may answer differently if asked again: a 5xx, a
 * 429, a 403 for a primary or secondary rate limit, no answer at all (a network
 * error), or a branch that moved under a write (tried again from a fresh read). A 404,
 * other 422s and other 4xx answers are final.
 */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return isNetworkError(error);
  if (status >= 500 || status === 429) return true;
  if (status === 422) return isBranchMoved(error);
  if (status !== 403) return false;
  const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
  const headers = response?.headers ?? {};
  return headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0" || /rate limit/i.test((error as Error).message ?? "");
}

/** What GitHub said, for a person: `GitHub answered 502 to POST /repos/{owner}/{repo}/issues/{issue_number}/comments`. */
export function describeError(error: unknown): string {
  const status = statusOf(error);
  const request = (error as { request?: { method?: string; url?: string } }).request;
  const message = ((error as Error)?.message ?? String(error)).split("\n")[0]?.slice(0, 300) ?? "";
  if (status === undefined) return message;
  const where = request?.method && request.url ? ` to ${request.method} ${new URL(request.url, "https://api.github.com").pathname}` : "";
  return `GitHub answered ${status}${where}: ${message}`;
}

/**
 * An error with no HTTP status: the way to GitHub or to Redis failed (a reset, a
 * timeout, a closed connection), which may pass; anything else is a bug of ours,
 * which asking again will not mend.
 */
function isNetworkError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; name?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const text = [e?.code, e?.name, e?.message, e?.cause?.code, e?.cause?.message].filter((x) => typeof x === "string").join(" ");
  return /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|UND_ERR|socket hang up|fetch failed|network|timed? ?out|Connection is closed|MaxRetriesPerRequest|ReplyError|LOADING|READONLY/i.test(text);
}
