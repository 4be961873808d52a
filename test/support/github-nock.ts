/**
 * Puts a GitHubDouble behind nock at https://api.github.com, so the app's real
 * Octokit talks to a stateful GitHub. Only loopback stays reachable.
 */
import nock from "nock";
import type { GitHubDouble } from "@software-factory/github-double";

const METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"] as const;

export function mountDouble(double: GitHubDouble, base = "https://api.github.com"): void {
  const scope = nock(base).persist();
  for (const method of METHODS) {
    scope.intercept(() => true, method).reply(async function (uri, requestBody) {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(this.req.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
      // Let concurrent handlers interleave the way real HTTP lets them.
      await new Promise((resolve) => setImmediate(resolve));
      const url = new URL(uri, base);
      const body = typeof requestBody === "string" && requestBody ? JSON.parse(requestBody) : requestBody || undefined;
      const response = double.handle({ method, path: url.pathname, query: url.searchParams, body, headers });
      const payload = typeof response.body === "string" ? response.body : JSON.stringify(response.body ?? "");
      return [response.status, payload, { "content-type": "application/json; charset=utf-8", ...response.headers }];
    });
  }
}
