import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBlocks, defangUserText, encodeBlock } from "../../src/state/codec.js";
import { makeRecord, readRecords, recordBlock, type Carrier } from "../../src/state/carriers.js";
import { RECORD_KINDS, RECORD_VERSION, type SignedRecord } from "../../src/state/records.js";
import { canonicalJson, sign } from "../../src/state/sign.js";
import { ARTIFACT, BOT_LOGIN, KEY, atArb, hostileString, kindDataArb, recordArb, signed } from "./arbitraries.js";

const OPEN = "<!-- software-factory ";
const CLOSE = " -->";
const AT = new Date("2025-03-01T12:00:00.000Z");

function botCarrier(body: string, overrides: Partial<Carrier> = {}): Carrier {
  return { where: "issue comment 1", order: 1, authorLogin: BOT_LOGIN, authorType: "Bot", body, ...overrides };
}

function read(carriers: Carrier[], key: Buffer = KEY, artifact: string = ARTIFACT) {
  return readRecords(carriers, { botLogin: BOT_LOGIN, key, artifact });
}

/** Signs an arbitrary envelope the way makeRecord does, without makeRecord's validation. */
function signRaw(unsigned: Record<string, unknown>, key: Buffer = KEY): Record<string, unknown> {
  return { ...unsigned, sig: sign(unsigned, key) };
}

function stopRecord(overrides: Partial<{ artifact: string; seq: number; key: string }> = {}): SignedRecord {
  return makeRecord("command.stop", { by: "octocat" }, { artifact: ARTIFACT, key: "k-1", seq: 1, at: AT, ...overrides }, KEY);
}

describe("readRecords: genuine records", () => {
  it("returns every signed record in a bot carrier, unchanged, with nothing rejected", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        expect(read([botCarrier(`Status\n\n${recordBlock(record)}`)])).toEqual({ records: [record], rejected: [] });
      }),
    );
  });

  it("returns the same single record whatever defanged text precedes the block and whatever user text follows it", () => {
    fc.assert(
      fc.property(hostileString, recordArb, hostileString, (visible, record, userText) => {
        const result = read([botCarrier(`${defangUserText(visible)}\n${recordBlock(record)}\n${userText}`)]);
        expect(result.records).toEqual([record]);
      }),
    );
  });

  it("returns records in carrier creation order, not array order", () => {
    const first = stopRecord({ key: "a", seq: 1 });
    const second = stopRecord({ key: "b", seq: 2 });
    const result = read([
      botCarrier(recordBlock(second), { order: 20, where: "issue comment 20" }),
      botCarrier(recordBlock(first), { order: 10, where: "issue comment 10" }),
    ]);
    expect(result.records).toEqual([first, second]);
  });
});

describe("readRecords: forged or edited records are rejected", () => {
  it("rejects a record signed with a different key", () => {
    // Fixed-length keys: HMAC zero-pads short keys, so keys differing only by trailing zero bytes are equivalent.
    const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));
    fc.assert(
      fc.property(kindDataArb, key32, key32, (kd, keyA, keyB) => {
        fc.pre(!keyA.equals(keyB));
        const forged = signed(kd, { seq: 1, key: "k", at: AT }, keyA);
        const result = read([botCarrier(recordBlock(forged))], keyB);
        expect(result.records).toEqual([]);
        expect(result.rejected).toEqual([{ where: "issue comment 1", reason: expect.stringMatching(/signature does not match/) }]);
      }),
    );
  });

  it("rejects a signed record after any field value is edited (data.title, seq, kind, artifact, key, at, v)", () => {
    const edit = fc.oneof(
      fc.record({ field: fc.constant("data.title" as const), value: hostileString }),
      fc.record({ field: fc.constant("seq" as const), value: fc.nat({ max: 1000 }) }),
      fc.record({ field: fc.constant("kind" as const), value: fc.constantFrom(...RECORD_KINDS) }),
      fc.record({ field: fc.constant("artifact" as const), value: fc.constantFrom(ARTIFACT, "octo/widgets#8", "OCTO/widgets#7") }),
      fc.record({ field: fc.constant("key" as const), value: fc.string({ minLength: 1, maxLength: 10 }) }),
      fc.record({ field: fc.constant("at" as const), value: atArb.map((d) => d.toISOString()) }),
      fc.record({ field: fc.constant("v" as const), value: fc.integer({ min: 0, max: 3 }) }),
    );
    const titled = fc
      .record({ title: hostileString, missing: fc.array(hostileString, { maxLength: 2 }), seq: fc.nat({ max: 1000 }), key: fc.string({ minLength: 1, maxLength: 10 }), at: atArb })
      .map(({ title, missing, seq, key, at }) => signed({ kind: "intake.needs_criteria", data: { title, missing } }, { seq, key, at }));
    fc.assert(
      fc.property(titled, edit, (record, { field, value }) => {
        const edited: Record<string, unknown> = structuredClone(record);
        if (field === "data.title") (edited.data as Record<string, unknown>).title = value;
        else edited[field] = value;
        fc.pre(canonicalJson(edited) !== canonicalJson(record));
        const result = read([botCarrier(encodeBlock(edited))]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toEqual([{ where: "issue comment 1", reason: expect.stringMatching(/signature does not match/) }]);
      }),
    );
  });

  it("rejects a signed block after any single-character edit of its JSON that still parses", () => {
    const replacement = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.# ");
    fc.assert(
      fc.property(recordArb, fc.nat(), replacement, (record, position, char) => {
        const block = recordBlock(record);
        const json = block.slice(OPEN.length, -CLOSE.length);
        const index = position % json.length;
        fc.pre(json[index] !== char);
        const mutated = `${json.slice(0, index)}${char}${json.slice(index + 1)}`;
        let parsed: unknown;
        try {
          parsed = JSON.parse(mutated);
        } catch {
          fc.pre(false);
        }
        // An edit such as \u003c -> \u003C leaves the value unchanged: that is the same record.
        fc.pre(canonicalJson(parsed) !== canonicalJson(record));
        const result = read([botCarrier(`${OPEN}${mutated}${CLOSE}`)]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toHaveLength(1);
        expect(result.rejected[0]?.reason).toMatch(/signature/);
      }),
    );
  });

  it("rejects a genuine block in a carrier written by a user (authorType User), even one with the bot's login", () => {
    fc.assert(
      fc.property(recordArb, fc.constantFrom(BOT_LOGIN, "mallory"), (record, login) => {
        const result = read([botCarrier(recordBlock(record), { authorType: "User", authorLogin: login, where: "issue comment 9" })]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toEqual([{ where: "issue comment 9", reason: `hidden block written by ${login}, not the app` }]);
      }),
    );
  });

  it("rejects a genuine block in a carrier written by a different bot", () => {
    fc.assert(
      fc.property(recordArb, fc.constantFrom("other-app[bot]", "dependabot[bot]", "software-factory"), (record, login) => {
        const result = read([botCarrier(recordBlock(record), { authorLogin: login })]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toEqual([{ where: "issue comment 1", reason: `hidden block written by ${login}, not the app` }]);
      }),
    );
  });

  it("rejects a block in a carrier with no author, naming the author as unknown", () => {
    const result = read([botCarrier(recordBlock(stopRecord()), { authorLogin: undefined, authorType: undefined })]);
    expect(result).toEqual({ records: [], rejected: [{ where: "issue comment 1", reason: "hidden block written by unknown, not the app" }] });
  });
});

describe("readRecords: blocks that are genuine but not for this reader", () => {
  it("neither returns nor rejects a genuine record for a different artifact", () => {
    const other = stopRecord({ artifact: "octo/widgets#8" });
    const mine = stopRecord({ key: "k-2", seq: 2 });
    const result = read([botCarrier(`${recordBlock(other)}\n${recordBlock(mine)}`)]);
    expect(result).toEqual({ records: [mine], rejected: [] });
  });

  it("rejects a properly signed record with an unknown version, naming the version", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1000 }).filter((v) => v !== RECORD_VERSION), (v) => {
        const block = encodeBlock(signRaw({ v, artifact: ARTIFACT, seq: 1, kind: "command.stop", at: AT.toISOString(), key: "k", data: { by: "octocat" } }));
        const result = read([botCarrier(block)]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toHaveLength(1);
        expect(result.rejected[0]?.reason).toMatch(new RegExp(`version ${v} is not known`));
      }),
    );
  });

  it("rejects a properly signed record with an unknown kind, naming the kind", () => {
    fc.assert(
      fc.property(
        // Names inherited from Object.prototype have their own test below.
        fc.string({ maxLength: 30 }).filter((k) => !(RECORD_KINDS as string[]).includes(k) && !(k in Object.prototype)),
        (kind) => {
          const block = encodeBlock(signRaw({ v: RECORD_VERSION, artifact: ARTIFACT, seq: 1, kind, at: AT.toISOString(), key: "k", data: { by: "octocat" } }));
          const result = read([botCarrier(block)]);
          expect(result.records).toEqual([]);
          expect(result.rejected).toEqual([{ where: "issue comment 1", reason: `record kind "${kind}" is not known` }]);
        },
      ),
    );
  });

  it("rejects, without throwing, a properly signed record whose kind names an Object.prototype member", () => {
    for (const kind of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      const block = encodeBlock(signRaw({ v: RECORD_VERSION, artifact: ARTIFACT, seq: 1, kind, at: AT.toISOString(), key: "k", data: { by: "octocat" } }));
      expect(() => read([botCarrier(block)]), `kind "${kind}"`).not.toThrow();
      expect(read([botCarrier(block)]).rejected).toEqual([{ where: "issue comment 1", reason: `record kind "${kind}" is not known` }]);
    }
  });

  it("rejects a properly signed record whose data does not fit its kind, naming the field", () => {
    const block = encodeBlock(
      signRaw({
        v: RECORD_VERSION,
        artifact: ARTIFACT,
        seq: 1,
        kind: "artifact.opened",
        at: AT.toISOString(),
        key: "k",
        data: { issue: 7, title: "t", goal: "g", criteria: [], branch: "factory/7", baseBranch: "main", pr: 8, author: "a", requestedBy: "b" },
      }),
    );
    const result = read([botCarrier(block)]);
    expect(result.records).toEqual([]);
    expect(result.rejected[0]?.reason).toMatch(/^record artifact\.opened: data\.criteria: /);
  });

  it("rejects a properly signed record whose envelope is malformed (negative seq)", () => {
    const block = encodeBlock(signRaw({ v: RECORD_VERSION, artifact: ARTIFACT, seq: -1, kind: "command.stop", at: AT.toISOString(), key: "k", data: { by: "octocat" } }));
    const result = read([botCarrier(block)]);
    expect(result.records).toEqual([]);
    expect(result.rejected[0]?.reason).toMatch(/^record envelope is malformed/);
  });
});

describe("readRecords: malformed blocks", () => {
  it("rejects malformed JSON inside the marker with a reason, without throwing", () => {
    const result = read([botCarrier(`hello\n${OPEN}{"v":1,"sig":}${CLOSE}`)]);
    expect(result.records).toEqual([]);
    expect(result.rejected).toEqual([{ where: "issue comment 1", reason: expect.stringMatching(/is not JSON/) }]);
  });

  it("rejects a JSON object with no signature", () => {
    const result = read([botCarrier(encodeBlock({ v: 1, artifact: ARTIFACT, seq: 1, kind: "command.stop", at: AT.toISOString(), key: "k", data: { by: "x" } }))]);
    expect(result.rejected).toEqual([{ where: "issue comment 1", reason: "hidden block has no signature" }]);
  });

  it("never throws and accounts for every unsigned block in a bot carrier as rejected", () => {
    fc.assert(
      fc.property(hostileString, hostileString, (inside, around) => {
        const body = `${around}${OPEN}{${inside}}${CLOSE}${around}`;
        const result = read([botCarrier(body)]);
        expect(result.records).toEqual([]);
        expect(result.rejected).toHaveLength(decodeBlocks(body).length);
      }),
    );
  });

  it("ignores carriers with no block at all", () => {
    fc.assert(
      fc.property(fc.option(fc.string().filter((s) => !s.includes("<!--")), { nil: undefined }), fc.constantFrom("User", "Bot"), (body, authorType) => {
        expect(read([botCarrier("", { body, authorType })])).toEqual({ records: [], rejected: [] });
      }),
    );
  });
});

describe("makeRecord", () => {
  it("refuses data that does not fit its kind", () => {
    expect(() => makeRecord("command.stop", { by: "" }, { artifact: ARTIFACT, key: "k", seq: 1, at: AT }, KEY)).toThrow();
  });

  it("signs a record that reads back as itself for any valid kind and data", () => {
    fc.assert(
      fc.property(kindDataArb, (kd) => {
        const record = signed(kd, { seq: 3, key: "k", at: AT });
        expect(read([botCarrier(recordBlock(record))]).records).toEqual([record]);
      }),
    );
  });
});
