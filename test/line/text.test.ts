import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanText, clip, codeSpan, slugOf } from "../../src/line/text.js";
import { cutEscaped, escapedLength } from "../../src/state/codec.js";

describe("cleanText", () => {
  it("drops the control characters nobody means and keeps tabs and line ends", () => {
    expect(cleanText("a\u0000b\u0007c\u001b[31m\u007f\r\nd\te\rf")).toBe("abc[31m\nd\te\nf");
  });
});

describe("clip and cutEscaped", () => {
  it("never split a surrogate pair", () => {
    expect(clip("ab😀c", 3)).toBe("ab");
    expect(cutEscaped("ab😀c", 3)).toBe("ab");
  });

  it("cut to the longest prefix whose escaped form fits", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.integer({ min: 0, max: 400 }), (text, max) => {
        const cut = cutEscaped(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(escapedLength(cut)).toBeLessThanOrEqual(Math.max(max, 0));
        // One more character (or pair) would not fit, unless the whole text is kept.
        const next = [...text.slice(cut.length)][0] ?? "";
        if (cut.length < text.length) expect(escapedLength(cut + next)).toBeGreaterThan(max);
      }),
    );
    expect(escapedLength("<".repeat(10))).toBe(60);
  });
});

describe("codeSpan", () => {
  it("shows any text as one inert code span", () => {
    expect(codeSpan("<!-- software-factory `x` -->")).toBe("`‹!-- software-factory ˋxˋ --›`");
    expect(codeSpan("a\n\nb")).toBe("`a b`");
    expect(codeSpan("x".repeat(100), 10)).toBe(`\`${"x".repeat(10)}…\``);
  });
});

describe("slugOf", () => {
  it("transliterates any script and is never empty", () => {
    expect(slugOf("Тёмная тема")).toBe("temnaya-tema");
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (title) => {
        expect(slugOf(title)).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      }),
    );
  });
});
