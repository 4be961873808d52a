/**
 * The line fuzzed through its real handlers, on the GitHub double: generated issues,
 * comments and commands, configuration files, hidden blocks and payloads, as careless
 * or hostile users send them. Whatever comes in, no handler throws at the webhook,
 * every comment the app writes fits GitHub's limits and carries records that decode,
 * and every event the line gave up on is said on its thread.
 *
 * `npm test` runs a few hundred cases; `FUZZ_RUNS=10000 npx vitest run test/fuzz`
 * is the slow lane. A seed that fails is printed by fast-check: add it below as a
 * regression case (`fc.assert(..., { seed, path })`).
 */
import type { EmitterWebhookEvent } from "@octokit/webhooks";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { decodeBlocks } from "../../src/state/codec.js";
import { useScenario, VALID_BODY, type Scenario } from "../support/scenario.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || undefined;
const runs = (quick: number) => ({ numRuns: RUNS ?? quick, endOnFailure: true });

let s: Scenario;
useScenario((next) => void (s = next));

/** Text as people write it: any script, control characters, Markdown and HTML fragments, hidden-block look-alikes. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc.constantFrom("", " ", "\u0000", "<".repeat(maxLength), "<!-- software-factory {} -->", "```\n/factory stop\n```", "> /factory stop", "Тёмная тема", "设置", "🚀", "\u202eevil"),
  );

const request = fc.record({
  goal: text(2_000),
  criteria: fc.array(text(300), { maxLength: 40 }),
  heading: fc.constantFrom("### Success criteria", "Success criteria:", "**Acceptance criteria**", "## Done when", "### Nothing"),
});

const commandText = fc
  .tuple(
    fc.constantFrom("", "> ", "    ", "```\n", "- ", "text before\n"),
    fc.constantFrom("/factory", "/Factory", "/factory\u0000", "/factoryy"),
    fc.oneof(fc.constantFrom("status", "stop", "retry", "verify", "build", "help", "retry build", "verify --accept-no-evidence", "retry nowhere"), text(60)),
    text(100),
  )
  .map(([before, slash, command, after]) => `${before}${slash} ${command}\n${after}`);

const author = fc.constantFrom("maintainer", "reader", "stranger", "alice");

/** What was wrong, if anything, with what the app wrote and logged. */
function problems(): string[] {
  const found: string[] = [];
  for (const comment of s.double.comments.values()) {
    if (comment.user.login !== s.double.bot.login) continue;
    if (comment.body.length > 65_536) found.push(`comment ${comment.id} is ${comment.body.length} characters`);
    for (const block of decodeBlocks(comment.body)) if (!block.ok) found.push(`comment ${comment.id}: ${block.error}`);
  }
  // An event the line gave up on is said on its thread; anything else logged as an error is a defect.
  const said = [...s.double.comments.values()].filter((c) => c.user.login === s.double.bot.login && /^### (Could not handle|Waiting on GitHub)/.test(c.body)).length;
  const gaveUp = s.errors.filter((e) => e.startsWith("gave up on "));
  if (gaveUp.length > said) found.push(`gave up on ${gaveUp.length} events, said ${said}: ${gaveUp.join("; ")}`);
  found.push(...s.errors.filter((e) => !e.startsWith("gave up on ")), ...s.app.violations, ...s.double.unrouted);
  return found;
}

async function deliver(event: EmitterWebhookEvent): Promise<void> {
  await s.deliver(event);
  await s.idle();
}

/** Checks, then clears what the scenario's own after-each check would count again. */
function settle(): void {
  const found = problems();
  expect(found, found.join("\n")).toEqual([]);
  s.errors.length = 0;
}

describe("fuzz: issues labelled for intake", () => {
  it("any title and body: an artifact opened within the budgets, or said what is missing", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(text(300), request, async (title, r) => {
        const body = [`### Goal`, "", r.goal, "", r.heading, "", ...r.criteria.map((c) => `- [ ] ${c}`)].join("\n").slice(0, 65_536);
        const issue = s.double.openIssue("alice", title, body).number;
        await deliver(s.label(issue));
        const bot = s.double.commentsOn(issue).filter((c) => c.user.login === s.double.bot.login);
        // Something is said on the thread: the tracking comment, or why nothing could start.
        expect(bot.length).toBeGreaterThan(0);
        settle();
      }),
      runs(12),
    );
  });
});

describe("fuzz: comments and commands", () => {
  it("any comment from anyone, on an artifact's issue or PR: answered, refused or ignored, never thrown", { timeout: 600_000 }, async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await deliver(s.label(issue));
    const pr = s.double.pulls()[0]?.number ?? issue;
    await fc.assert(
      fc.asyncProperty(commandText, author, fc.boolean(), async (body, who, onPull) => {
        await deliver(s.comment(onPull ? pr : issue, who, body).event);
        settle();
      }),
      runs(150),
    );
  });

  it("hidden blocks pasted by people, forged or broken, are never taken for the app's", { timeout: 600_000 }, async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await deliver(s.label(issue));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), text(200)), author, async (json, who) => {
        s.double.postComment(issue, s.double.user(who), `<!-- software-factory ${json} -->\n<!-- software-factory ${json}`);
        await deliver(s.comment(issue, "maintainer", "/factory status").event);
        const reply = s.double.commentsOn(issue).at(-1)?.body ?? "";
        expect(reply).toMatch(/\| Status \| active \|/);
        settle();
      }),
      runs(60),
    );
  });
});

describe("fuzz: configuration files", () => {
  it("any .github/factory.yml: used, or reported once with what to fix", { timeout: 600_000 }, async () => {
    const value = fc.oneof(fc.anything({ maxDepth: 3 }), fc.dictionary(fc.constantFrom("labels", "cells", "verify", "stages", "commands", "maxBuildAttempts", "branchPrefix", "<!--", "x".repeat(300)), fc.anything({ maxDepth: 2 })));
    await fc.assert(
      fc.asyncProperty(fc.oneof(value.map((v) => stringify(v) ?? ""), text(500)), async (yaml) => {
        s.double.writeFile(".github/factory.yml", yaml);
        const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
        await deliver(s.label(issue));
        expect(s.double.commentsOn(issue).filter((c) => c.user.login === s.double.bot.login).length).toBeGreaterThan(0);
        settle();
      }),
      runs(12),
    );
  });
});

describe("fuzz: payloads", () => {
  it("any payload under any event name: handled or ignored with a reason, never thrown", { timeout: 600_000 }, async () => {
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    const valid = s.label(issue).payload as unknown as Record<string, unknown>;
    const names = fc.constantFrom("issues", "issue_comment", "pull_request", "pull_request_review", "check_run", "check_suite", "status", "workflow_run", "installation", "push");
    const actions = fc.constantFrom("labeled", "edited", "created", "synchronize", "closed", "submitted", "completed", undefined);
    const payload = fc.oneof(
      fc.object({ maxDepth: 3 }),
      fc.record({ key: fc.constantFrom(...Object.keys(valid)), value: fc.anything({ maxDepth: 2 }) }).map(({ key, value }) => ({ ...valid, [key]: value })),
      fc.constantFrom(...Object.keys(valid)).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    );
    await fc.assert(
      fc.asyncProperty(names, actions, payload, async (name, action, body) => {
        // GitHub sends a JSON object; anything else is refused at the endpoint before a handler sees it.
        const event = { id: `fuzz-${Math.random()}`, name, payload: action ? { ...body, action } : body } as unknown as EmitterWebhookEvent;
        await deliver(event);
        settle();
      }),
      runs(150),
    );
  });
});
