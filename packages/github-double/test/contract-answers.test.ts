import { afterAll, describe, expect, it } from "vitest";
import { GitHubDouble } from "../src/index.js";
import { checkResponse } from "../src/index.js";
import { checkWebhook } from "../src/index.js";

/** The checks that hold the double to GitHub's answers and payloads, shown to catch what they must. */

describe("checkResponse", () => {
  const double = new GitHubDouble();
  afterAll(() => double.close());
  double.openIssue("alice", "Broken", "It breaks");
  const issue = double.handle({ method: "GET", path: "/repos/octo-org/widgets/issues/1", query: new URLSearchParams(), body: undefined }).body as Record<string, unknown>;
  const route = "/repos/octo-org/widgets/issues/1";

  it("accepts the double's issue as issues/get answers it", () => {
    expect(checkResponse({ method: "GET", route, status: 200, body: issue })).toEqual([]);
  });

  it("names a missing required field and a wrong type", () => {
    const { url: _url, ...withoutUrl } = issue;
    expect(checkResponse({ method: "GET", route, status: 200, body: withoutUrl })).toEqual(["GET /repos/octo-org/widgets/issues/1 → 200: issues/get response body must have required property 'url'"]);
    expect(checkResponse({ method: "GET", route, status: 200, body: { ...issue, number: "1" } }).join("\n")).toMatch(/body\/number must be integer/);
  });

  it("refuses a success status the operation does not document", () => {
    expect(checkResponse({ method: "GET", route, status: 201, body: issue })).toEqual(["GET /repos/octo-org/widgets/issues/1 → 201: issues/get does not answer 201 (documented: 200, 301, 304, 404, 410)"]);
  });

  it("takes any error with a message, even where the description documents none, and nothing else", () => {
    expect(checkResponse({ method: "GET", route: "/repos/o/r/pulls/1/files", status: 404, body: { message: "Not Found" } })).toEqual([]);
    expect(checkResponse({ method: "DELETE", route: "/repos/o/r/git/refs/heads%2Fx", status: 422, body: { message: "Reference does not exist" } })).toEqual([]);
    expect(checkResponse({ method: "GET", route: "/repos/o/r/pulls/1/files", status: 404, body: "nope" })).toHaveLength(1);
  });

  it("checks a documented error's schema: a 422 needs documentation_url", () => {
    expect(checkResponse({ method: "POST", route: "/repos/o/r/labels", status: 422, body: { message: "Validation Failed" } })).toEqual([
      "POST /repos/o/r/labels → 422: issues/create-label response body must have required property 'documentation_url'",
    ]);
  });

  it("wants no body on a 204", () => {
    expect(checkResponse({ method: "GET", route: "/repos/o/r/pulls/1/merge", status: 204 })).toEqual([]);
    expect(checkResponse({ method: "GET", route: "/repos/o/r/pulls/1/merge", status: 204, body: { merged: true } })).toHaveLength(1);
  });
});

describe("checkWebhook", () => {
  const double = new GitHubDouble();
  afterAll(() => double.close());
  const events: Array<{ name: string; payload: Record<string, unknown> }> = [];
  double.onEvent = (event) => events.push(event);
  double.openIssue("alice", "Broken", "It breaks");
  double.push("feature", { "f.txt": "f\n" }, "F", "alice");

  it("accepts the double's issues.opened, push and create payloads", () => {
    expect(events.map((e) => e.name)).toEqual(["issues", "push", "create"]);
    expect(events.flatMap((e) => checkWebhook(e.name, e.payload))).toEqual([]);
  });

  it("names what a payload lacks, and an event GitHub never sends", () => {
    const payload = structuredClone(events[0]?.payload ?? {}) as { issue: { user: Record<string, unknown> } };
    delete payload.issue.user.login;
    expect(checkWebhook("issues", payload as unknown as Record<string, unknown>)).toEqual(["issues.opened: payload/issue/user must have required property 'login'"]);
    expect(checkWebhook("issues", { action: "frobbed" })).toEqual(["issues.frobbed: GitHub sends no such webhook"]);
  });
});
