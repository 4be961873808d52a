/**
 * The demo's scripted harness: it stands in for a coding agent (no model, no network)
 * and makes the fix a good agent would, reading the prompt the factory rendered. It
 * ships with the demo, inside the sample repository, and `.github/factory.yml`
 * chooses it with `harness: command`.
 */
export const SCRIPTED_HARNESS = [
  "// The demo's scripted harness: a stand-in for a coding agent. It reads the factory's",
  "// prompt, fixes src/theme.js the way the issue asks, and commits.",
  "import { readFileSync, writeFileSync } from 'node:fs';",
  "import { execFileSync } from 'node:child_process';",
  "const prompt = readFileSync(process.argv[2], 'utf8');",
  "console.log(`scripted harness: read a ${prompt.length}-character prompt`);",
  "const file = 'src/theme.js';",
  "const before = readFileSync(file, 'utf8');",
  "writeFileSync(file, before.replace(\"settings.dark ? 'light' : 'light'\", \"settings.dark ? 'dark' : 'light'\"));",
  "execFileSync('git', ['commit', '--quiet', '--all', '-m', 'Return the dark theme when dark mode is on']);",
  "console.log('scripted harness: fixed src/theme.js and committed');",
  "",
].join("\n");

export const SAMPLE_CONFIG = `# The demo's factory configuration: the builder runs the scripted harness; the verifier runs the tests.
cells:
  build:
    harness: command
    command: ["node", ".factory/scripted-harness.mjs", "{prompt_file}"]
    timeoutMinutes: 2
verify:
  commands: ["node --test"]
package:
  targets:
    web: ["src/**"]
    docs: ["**/*.md"]
`;

/**
 * The demo's sample repository: a tiny package with a real bug and a real test
 * that fails because of it (`node --test`), so the line has something true to fix.
 */
export const SAMPLE_REPO: Record<string, string> = {
  "README.md": "# widgets\n\nA tiny theme helper.\n",
  ".github/factory.yml": SAMPLE_CONFIG,
  ".factory/scripted-harness.mjs": SCRIPTED_HARNESS,
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
