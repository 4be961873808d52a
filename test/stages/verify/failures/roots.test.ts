/**
 * Every tool's real output was captured in a temporary directory
 * (/tmp/sf-verify-output/<project>, see capture.sh). Given that directory, a
 * summary speaks the repository's paths everywhere: the file, the message and the
 * excerpt, so the verdict, the check run, the next prompt and lessons name files
 * that exist in the repository.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeFailures, withoutRoots } from "../../../../src/stages/verify/failures/index.js";

const FIXTURES = new URL("../../../fixtures/verify-output/", import.meta.url);
const CAPTURED = "/tmp/sf-verify-output";

/** Fixture files that name a failure and the project directory they ran in. */
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(new URL(`${d.name}/`, FIXTURES)).map((file) => `${d.name}/${file}`))
  .map((name) => ({ name, text: readFileSync(new URL(name, FIXTURES), "utf8") }))
  .filter(({ text }) => text.includes(CAPTURED))
  .map(({ name, text }) => ({ name, text, roots: [...new Set(text.match(/\/tmp\/sf-verify-output\/[a-z-]+/g) ?? [])] }));

describe("summaries in the repository's paths", () => {
  it("has a captured fixture with absolute paths for every tool that prints them", () => {
    const tools = new Set(cases.map((c) => c.name.split("/")[0]));
    expect([...tools].sort()).toEqual(["actions", "cargo", "eslint", "go", "node-test", "pytest", "vitest"]);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s: no path under the project's directory is left, and files are the repository's", (_name, { text, roots }) => {
    const summary = summarizeFailures(text, { root: roots });
    const shown = JSON.stringify(summary);
    expect(shown).not.toContain(CAPTURED);
    for (const failure of summary.failures) {
      if (failure.file !== undefined) expect(failure.file).not.toMatch(/^\//);
    }
  });

  it("names the failing test file by its repository path in node's test runner output (the case seen in the wild)", () => {
    const text = readFileSync(new URL("node-test/assertion-spec.txt", FIXTURES), "utf8");
    const [failure] = summarizeFailures(text, { root: `${CAPTURED}/js` }).failures;
    expect(failure?.file).toBe("test/assertion.node.js");
    expect(failure?.line).toBe(7);
    expect(failure?.lines.join("\n")).toContain("(test/assertion.node.js:7:12)");
  });

  it("takes a root out of file:// URLs, and a longer root before a shorter one inside it", () => {
    expect(withoutRoots("at file:///tmp/w/work/src/a.js:1\nat /tmp/w/work/src/b.js:2\nat /tmp/w/other.js:3\nrootdir: /tmp/w/work\n/tmp/w/workshop/x", ["/tmp/w", "/tmp/w/work/"])).toBe(
      "at src/a.js:1\nat src/b.js:2\nat other.js:3\nrootdir: .\nworkshop/x",
    );
  });
});
