/**
 * The demo's sample repository: a tiny package with a real bug and a real test
 * that fails because of it (`node --test`), so the line has something true to fix.
 */
export const SAMPLE_REPO: Record<string, string> = {
  "README.md": "# widgets\n\nA tiny theme helper.\n",
  "package.json": `${JSON.stringify({ name: "widgets", version: "1.0.0", type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
  "src/theme.js": "/** The theme for a user's settings. */\nexport function theme(settings) {\n  return settings.dark ? 'light' : 'light';\n}\n",
  "test/theme.test.js": [
    "import { test } from 'node:test';",
    "import assert from 'node:assert/strict';",
    "import { theme } from '../src/theme.js';",
    "",
    "test('dark setting gives the dark theme', () => {",
    "  assert.equal(theme({ dark: true }), 'dark');",
    "});",
    "",
    "test('default is the light theme', () => {",
    "  assert.equal(theme({}), 'light');",
    "});",
    "",
  ].join("\n"),
};

export const SAMPLE_ISSUE = {
  title: "Dark mode setting has no effect",
  body: [
    "### Goal",
    "",
    "Users who turn on dark mode still get the light theme. `theme({ dark: true })` should return `dark`.",
    "",
    "### Success criteria",
    "",
    "- [ ] `theme({ dark: true })` returns `dark`",
    "- [ ] `theme({})` still returns `light`",
    "- [ ] `npm test` passes",
    "",
  ].join("\n"),
};
