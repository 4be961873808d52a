import { describe, expect, it } from "vitest";
import { fromWebhook } from "../../src/events/from-webhook.js";
import { parseEvent } from "../../src/events/line-event.js";
import { issueCommentCreated, issuesLabeled, webhookExample } from "../support/payloads.js";

const repo = { owner: "octo-org", repo: "widgets" };

function translate(name: string, payload: unknown) {
  return fromWebhook({ id: "delivery-1", name, payload });
}

/** GitHub's own example of an event, moved to a factory branch. */
function onBranch(name: string, action: string | undefined, branch: string): Record<string, unknown> {
  const payload = webhookExample(name, action);
  const p = payload as Record<string, Record<string, unknown>>;
  if (p.check_run) (p.check_run.check_suite as Record<string, unknown>).head_branch = branch;
  if (p.check_suite) p.check_suite.head_branch = branch;
  if (p.workflow_run) p.workflow_run.head_branch = branch;
  if (p.pull_request) (p.pull_request.head as Record<string, unknown>).ref = branch;
  if (Array.isArray(payload.branches)) payload.branches = [{ name: branch, commit: {}, protected: false }];
  payload.installation = { id: 7 };
  return payload;
}

describe("fromWebhook", () => {
  it("turns the intake label into an intake event for the issue, with what intake needs", () => {
    const { payload } = issuesLabeled({ ...repo, sender: { login: "maintainer" }, issue: { number: 12, title: "Add dark mode", body: "### Success criteria\n- works", user: { login: "alice" } }, label: "factory:intake" });
    const translated = translate("issues.labeled", payload);
    expect(translated).toMatchObject({
      event: {
        id: "delivery-1",
        kind: "intake",
        owner: "octo-org",
        repo: "widgets",
        target: { issue: 12 },
        data: { action: "labeled", label: "factory:intake", sender: "maintainer", issue: { number: 12, title: "Add dark mode", author: "alice" } },
      },
    });
    // What goes into the inbox comes back out as the same event.
    const event = "event" in translated ? translated.event : undefined;
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual({ ok: true, event });
  });

  it("keeps the text below a command only for a command that reads it (revise), and a long line whole, to 1,000 characters", () => {
    const body = ["/factory revise look in src/settings", "and leave docs/ alone", "/factory status", "thanks!", `/factory verify ${"x".repeat(1200)}`].join("\n");
    const payload = issueCommentCreated({ ...repo, sender: { login: "m" }, issue: { number: 4, title: "t", user: { login: "alice" } }, comment: { id: 3, body, user: { login: "m" } } }).payload;
    const translated = translate("issue_comment.created", payload);
    const commands = "event" in translated && translated.event.kind === "command" ? translated.event.data.commands : [];
    expect(commands.map((c) => [c.name, c.continuation])).toEqual([
      ["revise", "and leave docs/ alone"],
      ["status", undefined],
      ["verify", undefined],
    ]);
    expect(commands[0]?.line).toBe("/factory revise look in src/settings");
    expect(commands[2]?.line).toHaveLength(1000);
    const event = "event" in translated ? translated.event : undefined;
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual({ ok: true, event });
  });

  it("keeps a PR comment's thread as a pull request to resolve, and an issue comment's as the issue", () => {
    const comment = (onPull: boolean) =>
      issueCommentCreated({ ...repo, sender: { login: "maintainer" }, issue: { number: 40, title: "t", user: { login: "alice" }, pull_request: onPull }, comment: { id: 99, body: "/factory verify", user: { login: "maintainer" } } }).payload;
    expect(translate("issue_comment.created", comment(true))).toMatchObject({ event: { kind: "command", target: { pull: 40 }, data: { onPull: true, comment: 99, commands: [{ name: "verify" }] } } });
    expect(translate("issue_comment.created", comment(false))).toMatchObject({ event: { kind: "command", target: { issue: 40 }, data: { onPull: false } } });
  });

  it("drops on the webhook path what no handler acts on: a bot's comment, a comment without a command, another branch's check", () => {
    const bot = issueCommentCreated({ ...repo, sender: { login: "software-factory[bot]", type: "Bot" }, issue: { number: 4, title: "t", user: { login: "alice" } }, comment: { id: 1, body: "/factory stop", user: { login: "software-factory[bot]", type: "Bot" } } }).payload;
    expect(translate("issue_comment.created", bot)).toEqual({ ignored: "a bot's comment" });
    const chat = issueCommentCreated({ ...repo, sender: { login: "alice" }, issue: { number: 4, title: "t", user: { login: "alice" } }, comment: { id: 2, body: "looks good", user: { login: "alice" } } }).payload;
    expect(translate("issue_comment.created", chat)).toEqual({ ignored: "no command" });
    expect(translate("check_run.completed", onBranch("check_run", "completed", "main"))).toEqual({ ignored: "not on a factory branch" });
  });

  it("routes checks, pushes, reviews and the end of a PR on a factory branch to the issue the branch names", () => {
    const branch = "factory/12-add-dark-mode";
    expect(translate("check_run.completed", onBranch("check_run", "completed", branch))).toMatchObject({ event: { kind: "checks", target: { issue: 12 }, data: { branch } } });
    expect(translate("check_suite.completed", onBranch("check_suite", "completed", branch))).toMatchObject({ event: { kind: "checks", target: { issue: 12 } } });
    expect(translate("pull_request.synchronize", onBranch("pull_request", "synchronize", branch))).toMatchObject({ event: { kind: "pull.synchronize", target: { issue: 12 }, data: { headRef: branch } } });
    expect(translate("pull_request.closed", onBranch("pull_request", "closed", branch))).toMatchObject({ event: { kind: "pull.closed", target: { issue: 12 } } });
    const review = onBranch("pull_request_review", "submitted", branch);
    (review.review as Record<string, unknown>).state = "changes_requested";
    expect(translate("pull_request_review.submitted", review)).toMatchObject({ event: { kind: "review", target: { issue: 12 } } });
    (review.review as Record<string, unknown>).state = "approved";
    expect(translate("pull_request_review.submitted", review)).toEqual({ ignored: "not a person's request for changes" });
  });

  it("names the job of a cell workflow run, and says why it ignores one with a changed run-name", () => {
    const run = onBranch("workflow_run", "completed", "main");
    const wr = run.workflow_run as Record<string, unknown>;
    wr.path = ".github/workflows/factory-cell.yml";
    wr.event = "workflow_dispatch";
    wr.head_repository = { ...(run.repository as Record<string, unknown>) };
    wr.display_title = "factory builder build-12-0123456789abcdef";
    expect(translate("workflow_run.completed", run)).toMatchObject({ event: { kind: "cell.run", target: { issue: 12 }, data: { title: "factory builder build-12-0123456789abcdef" } } });
    wr.display_title = "Factory cell";
    expect(translate("workflow_run.completed", run)).toMatchObject({ ignored: expect.stringContaining("run-name") });
  });

  it("takes no report from a cell-named run the factory did not dispatch: a fork's pull request run, another event, another file", () => {
    const run = onBranch("workflow_run", "completed", "main");
    const repository = run.repository as Record<string, unknown>;
    const wr = run.workflow_run as Record<string, unknown>;
    Object.assign(wr, { path: ".github/workflows/factory-cell.yml", event: "workflow_dispatch", head_repository: { ...repository }, display_title: "factory builder build-12-0123456789abcdef" });
    expect(translate("workflow_run.completed", run)).toMatchObject({ event: { kind: "cell.run" } });

    // A fork's pull request adds its own factory-cell.yml, run-name and all: its run is on `pull_request`, from the fork.
    const forged = { ...wr, event: "pull_request", head_repository: { ...repository, id: Number(repository.id) + 1, full_name: "mallory/widgets" } };
    expect(translate("workflow_run.completed", { ...run, workflow_run: forged })).toEqual({ ignored: expect.stringContaining("started by `pull_request`, not by a dispatch"), warn: true });
    expect(translate("workflow_run.completed", { ...run, workflow_run: { ...forged, event: "workflow_dispatch" } })).toEqual({ ignored: expect.stringContaining("from another repository (a fork)"), warn: true });
    expect(translate("workflow_run.completed", { ...run, workflow_run: { ...wr, head_repository: undefined } })).toMatchObject({ ignored: expect.stringContaining("another repository"), warn: true });
    expect(translate("workflow_run.completed", { ...run, workflow_run: { ...wr, event: "push" } })).toMatchObject({ ignored: expect.stringContaining("started by `push`"), warn: true });
    expect(translate("workflow_run.completed", { ...run, workflow_run: { ...wr, path: "vendor/.github/workflows/factory-cell.yml" } })).toMatchObject({ ignored: expect.stringContaining("not the factory's cell"), warn: true });
  });

  it("says which comment it could not read for commands, instead of dropping it unsaid", () => {
    const { payload } = issueCommentCreated({ ...repo, sender: { login: "alice" }, issue: { number: 12, title: "t", user: { login: "alice" } }, comment: { id: 99, body: `/factory stop\n\n${"> ".repeat(5_000)}x`, user: { login: "alice" } } });
    expect(translate("issue_comment.created", payload)).toEqual({ malformed: "comment 99 on #12 by @alice could not be read for commands (RangeError: its Markdown nests too deeply); a command in it is not run" });
  });

  it("answers a payload without the fields its event must have, or with fields that do not fit, with a reason instead of a throw", () => {
    const { payload } = issuesLabeled({ ...repo, sender: { login: "maintainer" }, issue: { number: 12, title: "t", user: { login: "alice" } }, label: "factory:intake" });
    expect(translate("issues.labeled", { ...payload, issue: undefined })).toEqual({ malformed: "the payload has no issue" });
    expect(translate("issues.labeled", { ...payload, issue: { ...payload.issue, number: "12" } })).toEqual({ malformed: "the payload has no issue.number" });
    expect(translate("issues.labeled", { ...payload, installation: undefined })).toEqual({ malformed: "the payload has no installation" });
    expect(translate("issues.labeled", { ...payload, repository: { ...payload.repository, name: "" } })).toEqual({ malformed: "the payload has no repository.name" });
    expect(translate("issues.labeled", "not an object")).toEqual({ malformed: "the payload is not an object" });
    expect(translate("issues.labeled", { ...payload, issue: { ...payload.issue, number: -3 } })).toMatchObject({ malformed: expect.stringContaining("does not fit a issues.labeled event") });
    const comment = issueCommentCreated({ ...repo, sender: { login: "m" }, issue: { number: 4, title: "t", user: { login: "alice" } }, comment: { id: 3, body: "/factory status", user: { login: "m" } } }).payload;
    expect(translate("issue_comment.created", { ...comment, comment: undefined })).toEqual({ malformed: "the payload has no comment" });
    expect(translate("issue_comment.created", { ...comment, issue: null, sender: {} })).toEqual({ malformed: "the payload has no issue, sender.login" });
    expect(translate("pull_request.closed", { ...comment, pull_request: { number: 5, head: {} } })).toEqual({ malformed: "the payload has no pull_request.head.ref" });
    const labels = { ...payload, issue: { ...payload.issue, title: 42 } };
    expect("event" in translate("issues.labeled", labels) ? "event" : "ignored").toBe("event");
    const many = issueCommentCreated({ ...repo, sender: { login: "m" }, issue: { number: 4, title: "t", user: { login: "alice" } }, comment: { id: 3, body: `/factory retry ${"x ".repeat(30)}`, user: { login: "m" } } }).payload;
    const event = translate("issue_comment.created", many);
    expect("event" in event && event.event.kind === "command" ? event.event.data.commands[0]?.args.length : 0).toBe(10);
    expect(translate("deployment.created", payload)).toEqual({ ignored: "the app does not handle deployment.created" });
  });
});
