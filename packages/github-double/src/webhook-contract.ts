import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import { ajv, buildSchema, formatError } from "./openapi-contract.js";

/**
 * Checks a webhook payload against GitHub's own description of it
 * (`@octokit/openapi-webhooks`, api.github.com): the schema of `<event>-<action>`
 * (or `<event>` for events without actions, such as `push` and `status`).
 */

interface WebhookSpec {
  webhooks: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: unknown }> } } }>;
  components: { schemas: Record<string, unknown> };
}

const require = createRequire(import.meta.url);
let specCache: WebhookSpec | undefined;
const validators = new Map<string, ValidateFunction>();

function spec(): WebhookSpec {
  specCache ??= JSON.parse(readFileSync(require.resolve("@octokit/openapi-webhooks/generated/api.github.com.json"), "utf8")) as WebhookSpec;
  return specCache;
}

/** Problems with a payload, one string each; an unknown event or action is one problem. */
export function checkWebhook(name: string, payload: Record<string, unknown>): string[] {
  const action = typeof payload.action === "string" ? payload.action : undefined;
  const key = [name, action].filter(Boolean).join("-").replaceAll("_", "-");
  const label = `${name}${action ? `.${action}` : ""}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = spec().webhooks[key]?.post?.requestBody?.content?.["application/json"]?.schema;
    if (schema === undefined) return [`${label}: GitHub sends no such webhook`];
    validate = ajv().compile(buildSchema(schema, spec().components.schemas));
    validators.set(key, validate);
  }
  if (validate(payload)) return [];
  return (validate.errors ?? []).slice(0, 10).map((error) => `${label}: ${formatError(error, "payload")}`);
}
