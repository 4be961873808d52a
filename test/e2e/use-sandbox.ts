import { afterEach, beforeEach } from "vitest";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/sandbox.js";
import { stateKey } from "../../src/state/sign.js";

/**
 * Problems that must fail an e2e test: requests outside GitHub's contract,
 * requests the double could not answer, and errors the app logged.
 */
export function sandboxProblems(sandbox: Sandbox): string[] {
  return [
    ...sandbox.server.violations.map((v) => `contract: ${v}`),
    ...sandbox.server.responseViolations.map((v) => `answer: ${v}`),
    ...sandbox.webhookViolations.map((v) => `webhook: ${v}`),
    ...sandbox.double.unrouted.map((r) => `unrouted: ${r}`),
    ...sandbox.errors.map((e) => `app: ${e}`),
  ];
}

/** A fresh sandbox per test (handed to `assign`), checked clean and closed after it. */
export function useSandbox(assign: (sandbox: Sandbox) => void | Promise<void>, options: SandboxOptions = {}): void {
  let current: Sandbox | undefined;
  beforeEach(async () => {
    current = await Sandbox.start({ files: SAMPLE_FILES, ...options });
    current.setPermission("maintainer", "maintain");
    current.setPermission("reader", "read");
    await assign(current);
  });
  afterEach(async () => {
    const sandbox = current;
    current = undefined;
    if (sandbox) await closeChecked(sandbox);
  });
}

/** Waits for the line, closes the sandbox, and fails if it saw any problem. */
export async function closeChecked(sandbox: Sandbox): Promise<void> {
  await sandbox.idle();
  const problems = sandboxProblems(sandbox);
  await sandbox.close();
  if (problems.length) throw new Error(`the sandbox saw problems:\n  ${problems.join("\n  ")}`);
}

/** The state key the sandbox's app signs with, to fold records from outside. */
export function sandboxKey(sandbox: Sandbox): Buffer {
  return stateKey({ WEBHOOK_SECRET: sandbox.webhookSecret });
}

export const SAMPLE_FILES: Record<string, string> = {
  "README.md": "# widgets\n",
  "package.json": JSON.stringify({ name: "widgets", type: "module", scripts: { test: "node --test" } }, null, 2) + "\n",
  "src/theme.js": "export function theme(settings) {\n  return settings.dark ? 'light' : 'light';\n}\n",
  "test/theme.test.js": "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { theme } from '../src/theme.js';\n\ntest('dark setting gives the dark theme', () => {\n  assert.equal(theme({ dark: true }), 'dark');\n});\n",
};

export const VALID_BODY = "### Goal\n\nUsers can switch to a dark theme.\n\n### Success criteria\n\n- [ ] `theme({ dark: true })` returns `dark`\n- [ ] the test suite passes\n";
