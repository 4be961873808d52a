/**
 * Webhook payloads for integration tests, built from GitHub's real examples
 * (`@octokit/webhooks-examples`) with only the scenario-specific parts
 * overridden. Nothing is trimmed: every field of the example stays, so the
 * app sees the full payload shape GitHub sends.
 *
 * The examples all live in `Codertocat/Hello-World`; every URL mentioning that
 * repository is rewritten to the scenario's `owner/repo`, and users are
 * rebuilt from the example's user object (login, id, type, node_id and URLs).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { EmitterWebhookEvent } from "@octokit/webhooks";

type JsonObject = Record<string, unknown>;

interface WebhookDefinition {
  name: string;
  actions: string[];
  examples: JsonObject[];
}

const require = createRequire(import.meta.url);
let definitionsCache: WebhookDefinition[] | undefined;

function definitions(): WebhookDefinition[] {
  if (definitionsCache === undefined) {
    const file = require.resolve("@octokit/webhooks-examples/api.github.com/index.json");
    definitionsCache = JSON.parse(readFileSync(file, "utf8")) as WebhookDefinition[];
  }
  return definitionsCache;
}

/**
 * A deep copy of GitHub's first example for `name` / `action` (or the first
 * example of the event when the event has no actions).
 */
export function webhookExample(name: string, action?: string): JsonObject {
  const definition = definitions().find((d) => d.name === name);
  if (!definition) throw new Error(`No webhook examples for event "${name}"`);
  const example = definition.examples.find((e) => action === undefined || e.action === action);
  if (!example) throw new Error(`No webhook example for "${name}.${action ?? ""}"`);
  return structuredClone(example);
}

// ---------------------------------------------------------------------------
// Inputs

export interface UserInput {
  login: string;
  /** Defaults to a stable number derived from the login. */
  id?: number;
  /** Defaults to "Bot" for logins ending in "[bot]", else "User". */
  type?: "User" | "Bot";
}

export interface LabelInput {
  name: string;
  /** Defaults to a stable number derived from the name. */
  id?: number;
  color?: string;
  description?: string | null;
}

export interface IssueInput {
  number: number;
  title: string;
  /** `null` (GitHub's value for an empty description) when omitted. */
  body?: string | null;
  user: UserInput;
  /** Labels currently on the issue. */
  labels?: Array<string | LabelInput>;
  /** Defaults to the example's id. */
  id?: number;
  state?: "open" | "closed";
  /** Defaults to the example's ("OWNER"). */
  author_association?: string;
}

interface CommonInput {
  owner: string;
  repo: string;
  sender: UserInput;
  /** Defaults to 1. */
  installationId?: number;
  /** The `X-GitHub-Delivery` id; a random UUID when omitted. */
  deliveryId?: string;
}

export interface IssuesLabeledInput extends CommonInput {
  /** `issue.labels` defaults to `[label]`. */
  issue: IssueInput;
  label: string | LabelInput;
}

export interface IssuesEditedInput extends CommonInput {
  issue: IssueInput;
  /** Defaults to `{}` (as in GitHub's examples). */
  changes?: { title?: { from: string }; body?: { from: string } };
}

export interface IssueCommentCreatedInput extends CommonInput {
  issue: Omit<IssueInput, "body"> & {
    body?: string | null;
    /** When true, the issue is a pull request (adds `issue.pull_request`). */
    pull_request?: boolean;
  };
  comment: {
    id: number;
    body: string;
    user: UserInput;
    /** Defaults to the example's ("OWNER"). */
    author_association?: string;
  };
}

// ---------------------------------------------------------------------------
// Helpers

/** Small deterministic positive integer from a string (FNV-1a), for ids. */
function stableId(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 1_000_000_000 || 1;
}

/** Replaces `from` with `to` in every string inside `value` (in place for objects/arrays). */
function rewriteStrings(value: unknown, from: string, to: string): unknown {
  if (typeof value === "string") return value.replaceAll(from, to);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rewriteStrings(value[i], from, to);
    return value;
  }
  if (typeof value === "object" && value !== null) {
    const obj = value as JsonObject;
    for (const key of Object.keys(obj)) obj[key] = rewriteStrings(obj[key], from, to);
    return obj;
  }
  return value;
}

function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`webhook example has no ${what} object`);
  }
  return value as JsonObject;
}

/** A user in the example's user shape, with login/id/type/node_id/URLs replaced. */
function makeUser(template: unknown, input: UserInput): JsonObject {
  const base = structuredClone(asObject(template, "user"));
  const oldLogin = String(base.login);
  const oldId = String(base.id);
  const type = input.type ?? (input.login.endsWith("[bot]") ? "Bot" : "User");
  const id = input.id ?? stableId(`user:${input.login}`);
  const encoded = encodeURIComponent(input.login);
  for (const [key, value] of Object.entries(base)) {
    if (typeof value === "string" && /^https?:\/\//.test(value)) {
      base[key] = value.replaceAll(`/${oldLogin}`, `/${encoded}`).replaceAll(`/u/${oldId}`, `/u/${id}`);
    }
  }
  base.login = input.login;
  base.id = id;
  base.type = type;
  base.node_id = Buffer.from(type === "Bot" ? `03:Bot${id}` : `04:User${id}`).toString("base64");
  return base;
}

function makeLabel(template: unknown, owner: string, repo: string, input: string | LabelInput): JsonObject {
  const spec: LabelInput = typeof input === "string" ? { name: input } : input;
  const base = structuredClone(asObject(template, "label"));
  const id = spec.id ?? stableId(`label:${spec.name}`);
  base.id = id;
  base.node_id = Buffer.from(`010:Label${id}`).toString("base64");
  base.url = `https://api.github.com/repos/${owner}/${repo}/labels/${encodeURIComponent(spec.name)}`;
  base.name = spec.name;
  if (spec.color !== undefined) base.color = spec.color;
  base.default = false;
  base.description = spec.description ?? null;
  return base;
}

interface Adapted {
  payload: JsonObject;
  issue: JsonObject;
  userTemplate: JsonObject;
  labelTemplate: JsonObject;
}

/**
 * Shared adaptation: repository (name, owner, URLs), sender, installation and
 * the issue's identity, URLs, author, labels, state.
 */
function adapt(
  example: JsonObject,
  common: CommonInput,
  issueInput: IssueInput | IssueCommentCreatedInput["issue"],
  labelTemplate?: unknown,
): Adapted {
  const { owner, repo } = common;
  const repository = asObject(example.repository, "repository");
  const oldFullName = String(repository.full_name);
  const userTemplate = structuredClone(asObject(example.sender, "sender"));
  const issue = asObject(example.issue, "issue");
  const labelTemplateObj = structuredClone(
    asObject(
      labelTemplate ??
        (issue.labels as unknown[] | undefined)?.[0] ??
        example.label ??
        webhookExample("issues", "labeled").label,
      "label",
    ),
  );

  // Every URL of the example repository -> the scenario's repository.
  rewriteStrings(example, `/${oldFullName}`, `/${owner}/${repo}`);
  rewriteStrings(example, `:${oldFullName}.git`, `:${owner}/${repo}.git`);

  repository.name = repo;
  repository.full_name = `${owner}/${repo}`;
  repository.owner = makeUser(repository.owner, { login: owner });

  example.sender = makeUser(userTemplate, common.sender);
  example.installation = {
    ...(typeof example.installation === "object" && example.installation !== null ? example.installation : {}),
    id: common.installationId ?? 1,
    node_id: Buffer.from(`023:IntegrationInstallation${common.installationId ?? 1}`).toString("base64"),
  };

  const apiBase = `https://api.github.com/repos/${owner}/${repo}`;
  const n = issueInput.number;
  issue.url = `${apiBase}/issues/${n}`;
  issue.repository_url = apiBase;
  issue.labels_url = `${apiBase}/issues/${n}/labels{/name}`;
  issue.comments_url = `${apiBase}/issues/${n}/comments`;
  issue.events_url = `${apiBase}/issues/${n}/events`;
  issue.html_url = `https://github.com/${owner}/${repo}/issues/${n}`;
  if (issueInput.id !== undefined) {
    issue.id = issueInput.id;
    issue.node_id = Buffer.from(`05:Issue${issueInput.id}`).toString("base64");
  }
  issue.number = n;
  issue.title = issueInput.title;
  issue.body = issueInput.body ?? null;
  issue.user = makeUser(issue.user ?? userTemplate, issueInput.user);
  if (issueInput.state !== undefined) {
    issue.state = issueInput.state;
    if (issueInput.state === "open") issue.closed_at = null;
  }
  if (issueInput.author_association !== undefined) issue.author_association = issueInput.author_association;
  if (issueInput.labels !== undefined) {
    issue.labels = issueInput.labels.map((l) => makeLabel(labelTemplateObj, owner, repo, l));
  }
  if (typeof issue.reactions === "object" && issue.reactions !== null) {
    (issue.reactions as JsonObject).url = `${apiBase}/issues/${n}/reactions`;
  }
  return { payload: example, issue, userTemplate, labelTemplate: labelTemplateObj };
}

// ---------------------------------------------------------------------------
// Builders

export function issuesLabeled(input: IssuesLabeledInput): EmitterWebhookEvent<"issues.labeled"> {
  const example = webhookExample("issues", "labeled");
  const { payload, issue, labelTemplate } = adapt(example, input, input.issue, example.label);
  const label = makeLabel(labelTemplate, input.owner, input.repo, input.label);
  payload.label = label;
  if (input.issue.labels === undefined) issue.labels = [structuredClone(label)];
  return {
    id: input.deliveryId ?? randomUUID(),
    name: "issues",
    payload: payload as unknown as EmitterWebhookEvent<"issues.labeled">["payload"],
  };
}

export function issuesEdited(input: IssuesEditedInput): EmitterWebhookEvent<"issues.edited"> {
  const example = webhookExample("issues", "edited");
  const { payload } = adapt(example, input, input.issue);
  payload.changes = structuredClone(input.changes ?? {});
  return {
    id: input.deliveryId ?? randomUUID(),
    name: "issues",
    payload: payload as unknown as EmitterWebhookEvent<"issues.edited">["payload"],
  };
}

export function issueCommentCreated(input: IssueCommentCreatedInput): EmitterWebhookEvent<"issue_comment.created"> {
  const example = webhookExample("issue_comment", "created");
  const { payload, issue, userTemplate } = adapt(example, input, input.issue);
  const { owner, repo } = input;
  const n = input.issue.number;

  if (input.issue.pull_request === true) {
    issue.html_url = `https://github.com/${owner}/${repo}/pull/${n}`;
    issue.pull_request = {
      url: `https://api.github.com/repos/${owner}/${repo}/pulls/${n}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${n}`,
      diff_url: `https://github.com/${owner}/${repo}/pull/${n}.diff`,
      patch_url: `https://github.com/${owner}/${repo}/pull/${n}.patch`,
      merged_at: null,
    };
  } else {
    delete issue.pull_request;
  }

  const comment = asObject(payload.comment, "comment");
  const c = input.comment;
  comment.id = c.id;
  comment.node_id = Buffer.from(`012:IssueComment${c.id}`).toString("base64");
  comment.url = `https://api.github.com/repos/${owner}/${repo}/issues/comments/${c.id}`;
  comment.html_url = `${String(issue.html_url)}#issuecomment-${c.id}`;
  comment.issue_url = `https://api.github.com/repos/${owner}/${repo}/issues/${n}`;
  comment.body = c.body;
  comment.user = makeUser(comment.user ?? userTemplate, c.user);
  if (c.author_association !== undefined) comment.author_association = c.author_association;
  if (typeof comment.reactions === "object" && comment.reactions !== null) {
    (comment.reactions as JsonObject).url = `https://api.github.com/repos/${owner}/${repo}/issues/comments/${c.id}/reactions`;
  }

  return {
    id: input.deliveryId ?? randomUUID(),
    name: "issue_comment",
    payload: payload as unknown as EmitterWebhookEvent<"issue_comment.created">["payload"],
  };
}
