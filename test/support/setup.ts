/**
 * Vitest setup file (see vitest.config.ts): no real network, fixed secrets,
 * and a clean nock state after every test. Tests that care whether every mock
 * was used assert it themselves (`expectNoPendingMocks()` in ./test-app.ts).
 */
import nock from "nock";
import { afterEach } from "vitest";

nock.disableNetConnect();
nock.enableNetConnect(/(127\.0\.0\.1|localhost)/);

process.env.FACTORY_STATE_SECRET = "test-state-secret";
// Matches the `secret` createTestApp passes to Probot.
process.env.WEBHOOK_SECRET = "test-secret";

afterEach(() => {
  nock.cleanAll();
});
