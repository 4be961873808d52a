import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lessonPath, parseLesson, renderLesson, slugify, type Lesson } from "../../../src/stages/learn/lesson-file.js";

const PATH = ".factory/lessons/prefer-strict-equal.md";

const EXAMPLE = `---
id: prefer-strict-equal            # [a-z0-9-]{3,80}
title: Use strict equality in tests
paths: ["src/**/*.ts", "test/**"]   # globs
keywords: [equal, assert]
sources: ["https://github.com/o/r/pull/12#discussion_r1"]   # the comments it came from
created: 2026-11-25
---
Use \`toStrictEqual\`, not \`toEqual\`: it also compares \`undefined\` keys and classes.

\`\`\`ts
expect(result).toStrictEqual({ ok: true });
\`\`\`
`;

const EXPECTED: Lesson = {
  id: "prefer-strict-equal",
  title: "Use strict equality in tests",
  paths: ["src/**/*.ts", "test/**"],
  keywords: ["equal", "assert"],
  sources: ["https://github.com/o/r/pull/12#discussion_r1"],
  created: "2026-11-25",
  body: "Use `toStrictEqual`, not `toEqual`: it also compares `undefined` keys and classes.\n\n```ts\nexpect(result).toStrictEqual({ ok: true });\n```",
};

function problemOf(text: string): string {
  const result = parseLesson(PATH, text);
  if (result.ok) throw new Error(`expected a problem, parsed ${JSON.stringify(result.lesson)}`);
  return result.problem;
}

describe("parseLesson", () => {
  it("reads the documented format, comments and all", () => {
    expect(parseLesson(PATH, EXAMPLE)).toEqual({ ok: true, lesson: EXPECTED });
  });

  it("accepts CRLF line endings and a byte-order mark", () => {
    expect(parseLesson(PATH, `\uFEFF${EXAMPLE.replace(/\n/g, "\r\n")}`)).toEqual({ ok: true, lesson: EXPECTED });
  });

  it("defaults absent lists to empty, when paths or keywords remain", () => {
    const result = parseLesson(PATH, "---\nid: abc\ntitle: A\nkeywords: [retry]\ncreated: 2026-01-02\n---\nBack off.\n");
    expect(result).toEqual({ ok: true, lesson: { id: "abc", title: "A", paths: [], keywords: ["retry"], sources: [], created: "2026-01-02", body: "Back off." } });
  });

  it("keeps a later `---` line as part of the text", () => {
    const result = parseLesson(PATH, EXAMPLE.replace("```ts", "---\n\n```ts"));
    expect(result.ok && result.lesson.body).toContain("classes.\n\n---\n\n```ts");
  });

  it("says the front matter is missing, and what the file should look like", () => {
    const problem = problemOf("Use strict equality.\n");
    expect(problem).toContain(PATH);
    expect(problem).toMatch(/no front matter/);
    expect(problem).toMatch(/line `---`, then YAML/);
  });

  it("says the front matter is never closed", () => {
    expect(problemOf("---\nid: abc\ntitle: t\n")).toMatch(/never closed: add a line `---`/);
  });

  it("names a bad id, the rule, and the value found", () => {
    expect(problemOf(EXAMPLE.replace("id: prefer-strict-equal", "id: Prefer_Strict"))).toBe(
      `${PATH}: front matter \`id\` must be 3 to 80 characters of a-z, 0-9 and \`-\`, like \`prefer-strict-equal\`; got string \`"Prefer_Strict"\``,
    );
    expect(problemOf(EXAMPLE.replace("id: prefer-strict-equal", "id: ab"))).toMatch(/`id` must be 3 to 80 characters/);
    expect(problemOf(EXAMPLE.replace("id: prefer-strict-equal", `id: ${"a".repeat(81)}`))).toMatch(/`id` must be 3 to 80 characters/);
  });

  it("says `paths` must be a list when it is a string", () => {
    expect(problemOf(EXAMPLE.replace('paths: ["src/**/*.ts", "test/**"]', "paths: src/**/*.ts"))).toBe(`${PATH}: front matter \`paths\` must be a list; got string \`"src/**/*.ts"\``);
  });

  it("points at the list item that is wrong", () => {
    expect(problemOf(EXAMPLE.replace('sources: ["https://github.com/o/r/pull/12#discussion_r1"]', "sources: [https://x.test/1, not a link]"))).toMatch(/`sources\[1\]` must be an http\(s\) link/);
    expect(problemOf(EXAMPLE.replace("keywords: [equal, assert]", "keywords: [equal, 3]"))).toMatch(/`keywords\[1\]` must be a string; got number `3`/);
  });

  it("reports every problem, an unknown key, a bad date and a missing title among them", () => {
    const problem = problemOf("---\nid: abc\nkeyword: [x]\npaths: [a]\ncreated: 25/11/2026\n---\ntext\n");
    expect(problem).toMatch(/`title` must be a string/);
    expect(problem).toMatch(/`created` must be a date like 2026-11-25; got string `"25\/11\/2026"`/);
    expect(problem).toMatch(/unknown key `keyword`/);
  });

  it("refuses a lesson that could never match", () => {
    expect(problemOf("---\nid: abc\ntitle: t\ncreated: 2026-01-01\n---\ntext\n")).toMatch(/`paths` must list at least one glob .* else the lesson never matches/);
  });

  it("gives the file line of a YAML syntax error", () => {
    expect(problemOf("---\nid: abc\ntitle: t\ntitle: u\n---\ntext\n")).toBe(`${PATH}: line 4: the front matter is not valid YAML: Map keys must be unique`);
  });

  it("wants a mapping and some text", () => {
    expect(problemOf("---\n- a\n---\ntext\n")).toMatch(/must be a YAML mapping/);
    expect(problemOf("---\n---\ntext\n")).toMatch(/must be a YAML mapping/);
    expect(problemOf(EXAMPLE.slice(0, EXAMPLE.indexOf("---\nUse") + 4))).toMatch(/lesson text after the front matter is empty/);
  });

  it("refuses a YAML alias bomb instead of throwing", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 9; level++) {
      const name = String.fromCharCode(97 + level);
      const previous = String.fromCharCode(96 + level);
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(", ")}]`);
    }
    expect(problemOf(`---\n${levels.join("\n")}\n---\ntext\n`)).toMatch(/front matter cannot be read: .*resource exhaustion/);
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.boolean(), (text, framed) => {
        const result = parseLesson(PATH, framed ? `---\n${text}\n---\nbody` : text);
        expect(typeof result.ok).toBe("boolean");
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

const oneLine = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && s.length > 0 && !/[\r\n]/.test(s));
const lessonArb: fc.Arbitrary<Lesson> = fc.record({
  id: fc.stringMatching(/^[a-z0-9-]{3,80}$/),
  title: oneLine,
  paths: fc.array(fc.constantFrom("*.md", "src/**/*.ts", "test/**", "[x].json", "a: b", "#x", "'q'", '"d"', "{a,b}/*"), { minLength: 1, maxLength: 4 }),
  keywords: fc.array(oneLine, { maxLength: 4 }),
  sources: fc.array(fc.constantFrom("https://github.com/o/r/pull/12#discussion_r1", "http://example.test/a?b=c&d=e"), { maxLength: 2 }),
  created: fc.constantFrom("2026-11-25", "2024-02-29", "1999-12-31"),
  body: fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }).map((s) => s.replace(/\r/g, "").replace(/^\s*\n/, "").trimEnd()).filter((s) => s.trim().length > 0),
});

describe("renderLesson", () => {
  it("writes the documented layout", () => {
    expect(renderLesson(EXPECTED)).toBe(
      [
        "---",
        "id: prefer-strict-equal",
        "title: Use strict equality in tests",
        'paths: [ "src/**/*.ts", "test/**" ]',
        'keywords: [ "equal", "assert" ]',
        'sources: [ "https://github.com/o/r/pull/12#discussion_r1" ]',
        "created: 2026-11-25",
        "---",
        "",
        EXPECTED.body,
        "",
      ].join("\n"),
    );
  });

  it("round-trips through parseLesson", () => {
    expect(parseLesson(PATH, renderLesson(EXPECTED))).toEqual({ ok: true, lesson: EXPECTED });
    fc.assert(
      fc.property(lessonArb, (lesson) => {
        expect(parseLesson(PATH, renderLesson(lesson))).toEqual({ ok: true, lesson });
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe("slugify", () => {
  it("makes a valid id from a title", () => {
    expect(slugify("Use strict equality in tests")).toBe("use-strict-equality-in-tests");
    expect(slugify("  Don't `await` in a loop!  ")).toBe("don-t-await-in-a-loop");
    expect(slugify("Évite les égalités « lâches »")).toBe("evite-les-egalites-laches");
  });

  it("pads what is too short, and cuts what is too long at a word", () => {
    expect(slugify("Go")).toBe("lesson-go");
    expect(slugify("???")).toBe("lesson");
    const long = slugify("retry the webhook delivery ".repeat(6));
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^retry-the-webhook-delivery-.*-(retry|the|webhook|delivery)$/);
  });

  it("always yields an id parseLesson accepts", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (title) => {
        expect(slugify(title)).toMatch(/^[a-z0-9-]{3,80}$/);
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});

describe("lessonPath", () => {
  it("puts a lesson under .factory/lessons by id", () => {
    expect(lessonPath("prefer-strict-equal")).toBe(PATH);
  });
});
