/**
 * A stateful double of GitHub for tests, demos and benchmarks: REST and the bits of
 * GraphQL the app uses, a real git repository behind smart HTTP, check runs, Actions,
 * webhooks signed as GitHub signs them, and every request checked against GitHub's
 * OpenAPI description. See README.md.
 */
export * from "./github-double.js";
export * from "./server.js";
export * from "./git-repo.js";
export * from "./openapi-contract.js";
export * from "./webhook-contract.js";
export { WebhookSender, type Delivery, type Route as DeliveryRoute } from "./webhook-sender.js";
export type { RunResult } from "./double/actions.js";
export type { MergeOptions } from "./double/pulls.js";
export { patchLines, type InlineComment, type ReviewEvent } from "./double/reviews.js";
export { matchRoute, ok, paginate, route } from "./double/router.js";
export type * from "./double/model.js";
