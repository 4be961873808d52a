import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBlocks, defangUserText, encodeBlock, stripBlocks } from "../../src/state/codec.js";
import { recordBlock } from "../../src/state/carriers.js";
import { hostileJsonObject, hostileJsonValue, hostileString, markerFreeText, recordArb } from "./arbitraries.js";

const OPEN = "<!-- software-factory ";
const CLOSE = " -->";

describe("encodeBlock / decodeBlocks round trip", () => {
  it("gives back exactly one block equal to any JSON object, even with strings full of -->, <!--, </, & and U+2028", () => {
    fc.assert(
      fc.property(hostileJsonObject, (value) => {
        const blocks = decodeBlocks(encodeBlock(value));
        expect(blocks).toHaveLength(1);
        expect(blocks[0]).toMatchObject({ ok: true, index: 0 });
        expect(blocks[0]?.ok && blocks[0].value).toEqual(value);
      }),
    );
  });

  it("gives back exactly one block equal to any JSON value, not only objects", () => {
    fc.assert(
      fc.property(hostileJsonValue, (value) => {
        const blocks = decodeBlocks(encodeBlock(value));
        expect(blocks).toHaveLength(1);
        expect(blocks[0]?.ok && blocks[0].value).toEqual(value);
      }),
    );
  });

  it("gives back exactly one equal block when it is embedded in text that has no block marker", () => {
    fc.assert(
      fc.property(markerFreeText, hostileJsonObject, markerFreeText, (before, value, after) => {
        const blocks = decodeBlocks(`${before}${encodeBlock(value)}${after}`);
        expect(blocks).toHaveLength(1);
        expect(blocks[0]).toMatchObject({ ok: true, index: before.length });
        expect(blocks[0]?.ok && blocks[0].value).toEqual(value);
      }),
    );
  });

  it("finds no block in a body that is empty, null or undefined", () => {
    expect(decodeBlocks("")).toEqual([]);
    expect(decodeBlocks(null)).toEqual([]);
    expect(decodeBlocks(undefined)).toEqual([]);
  });

  it("reports malformed JSON inside the marker as an error with its offset instead of throwing", () => {
    const body = `intro\n${OPEN}{"v": 1,}${CLOSE}`;
    const blocks = decodeBlocks(body);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ ok: false, index: 6 });
    expect(blocks[0]?.ok === false && blocks[0].error).toMatch(/offset 6 is not JSON/);
  });
});

describe("a block cannot be closed or altered by the text it carries", () => {
  it("has no --> and no <!-- anywhere but its own open and close, whatever string is in the record", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const block = recordBlock(record);
        expect(block.startsWith(OPEN)).toBe(true);
        expect(block.endsWith(CLOSE)).toBe(true);
        expect(block.indexOf("-->")).toBe(block.length - 3);
        expect(block.lastIndexOf("<!--")).toBe(0);
        expect(block.slice(OPEN.length, -CLOSE.length)).not.toMatch(/[<>&\u2028\u2029]/);
      }),
    );
  });

  it("decodes to the same single record when defanged visible text precedes it and raw user text follows it", () => {
    fc.assert(
      fc.property(hostileString, recordArb, hostileString, (visible, record, userText) => {
        const body = `${defangUserText(visible)}\n${recordBlock(record)}\n${userText}`;
        const first = decodeBlocks(body)[0];
        expect(first).toMatchObject({ ok: true, index: defangUserText(visible).length + 1 });
        expect(first?.ok && first.value).toEqual(record);
      }),
    );
  });
});

describe("stripBlocks", () => {
  it("removes only the block, leaving the surrounding text intact", () => {
    fc.assert(
      fc.property(markerFreeText, hostileJsonObject, markerFreeText, (before, value, after) => {
        expect(stripBlocks(`${before}${encodeBlock(value)}${after}`)).toBe(`${before}${after}`.trimEnd());
      }),
    );
  });

  it("leaves a body from which the record reads back unchanged once the block is re-appended", () => {
    fc.assert(
      fc.property(markerFreeText, recordArb, (visible, record) => {
        const body = `${visible}\n\n${recordBlock(record)}`;
        const edited = `${stripBlocks(body)} (edited)\n\n${recordBlock(record)}`;
        const blocks = decodeBlocks(edited);
        expect(blocks).toHaveLength(1);
        expect(blocks[0]?.ok && blocks[0].value).toEqual(record);
      }),
    );
  });
});

describe("defangUserText", () => {
  it("never returns text containing <!-- or -->", () => {
    fc.assert(
      fc.property(hostileString, (text) => {
        const out = defangUserText(text);
        expect(out).not.toContain("<!--");
        expect(out).not.toContain("-->");
      }),
    );
  });

  it("leaves text without comment syntax unchanged", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("<!--") && !s.includes("-->")),
        (text) => {
          expect(defangUserText(text)).toBe(text);
        },
      ),
    );
  });

  it("neutralises a hidden block pasted by a user so it no longer decodes", () => {
    fc.assert(
      fc.property(hostileJsonObject, (value) => {
        expect(decodeBlocks(defangUserText(encodeBlock(value)))).toEqual([]);
      }),
    );
  });
});
