import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { DEFAULT_CONFIG, ROLES, configJsonSchema } from "../../src/config/schema.js";

function problemsOf(raw: unknown): string[] {
  const result = parseConfig(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.problems;
}

describe("parseConfig: defaults", () => {
  it("gives the defaults when the file is absent (null)", () => {
    expect(parseConfig(null)).toEqual({ ok: true, config: DEFAULT_CONFIG });
  });

  it("gives the documented default values", () => {
    expect(DEFAULT_CONFIG).toEqual({
      labels: {
        intake: "factory:intake",
        needsCriteria: "factory:needs-criteria",
        stagePrefix: "factory:stage/",
        stopped: "factory:stopped",
        blocked: "factory:blocked",
        ledger: "factory:ledger",
        learn: "factory:learn",
      },
      commands: { allowedRoles: ["admin", "maintain", "write"] },
      branchPrefix: "factory/",
      maxBuildAttempts: 3,
      stages: {
        scout: { enabled: true },
        build: { enabled: true },
        verify: { enabled: true },
        package: { enabled: true },
        analyst: { enabled: true },
        learn: { enabled: true },
      },
      cells: { build: { runner: "local", timeoutMinutes: 30, network: "open", env: [] }, reflect: { timeoutMinutes: 30, network: "open", env: [] } },
      verify: { commands: [], timeoutMinutes: 15, ignoreChecks: [], requiredChecks: [], ciGraceMinutes: 10 },
      package: { targets: {}, changelog: "none" },
      gates: { scope: false },
      intake: { candidates: { labels: ["factory:candidate"], authors: [] }, autoPromote: 0 },
      ship: {},
      analyst: { runNotes: "commit", lessons: true },
      budgets: { artifact: {}, build: {} },
      ledger: { issue: true, title: "Factory ledger" },
      learn: { refitAfter: 10 },
    });
  });

  it("gives the defaults for an empty file (undefined) and an empty mapping", () => {
    expect(parseConfig(undefined)).toEqual({ ok: true, config: DEFAULT_CONFIG });
    expect(parseConfig({})).toEqual({ ok: true, config: DEFAULT_CONFIG });
  });

  it("fills in defaults around the keys a partial config sets", () => {
    const result = parseConfig({ labels: { intake: "robot" }, stages: { build: { enabled: false } } });
    expect(result).toEqual({
      ok: true,
      config: {
        ...DEFAULT_CONFIG,
        labels: { ...DEFAULT_CONFIG.labels, intake: "robot" },
        stages: { ...DEFAULT_CONFIG.stages, build: { enabled: false } },
      },
    });
  });
});

describe("parseConfig: problems name the exact key and what was found", () => {
  const cases: { name: string; raw: unknown; mentions: string[] }[] = [
    { name: "an unknown role", raw: { commands: { allowedRoles: ["owner"] } }, mentions: ["`commands.allowedRoles[0]`", 'string `"owner"`', "`admin`"] },
    { name: "an unknown role at a later index", raw: { commands: { allowedRoles: ["admin", "root"] } }, mentions: ["`commands.allowedRoles[1]`", 'string `"root"`'] },
    { name: "an empty role list", raw: { commands: { allowedRoles: [] } }, mentions: ["`commands.allowedRoles`", "at least 1", "a list"] },
    { name: "roles given as a string", raw: { commands: { allowedRoles: "admin" } }, mentions: ["`commands.allowedRoles`", "a list", 'string `"admin"`'] },
    { name: "maxBuildAttempts as a string", raw: { maxBuildAttempts: "three" }, mentions: ["`maxBuildAttempts`", "a number", 'string `"three"`'] },
    { name: "maxBuildAttempts below the minimum", raw: { maxBuildAttempts: 0 }, mentions: ["`maxBuildAttempts`", "at least 1", "number `0`"] },
    { name: "maxBuildAttempts above the maximum", raw: { maxBuildAttempts: 21 }, mentions: ["`maxBuildAttempts`", "at most 20", "number `21`"] },
    { name: "maxBuildAttempts not a whole number", raw: { maxBuildAttempts: 2.5 }, mentions: ["`maxBuildAttempts`", "number `2.5`"] },
    { name: "an unknown key under labels", raw: { labels: { foo: "x" } }, mentions: ["`labels`", "unknown key", "`foo`"] },
    { name: "an unknown top-level key", raw: { bogus: true }, mentions: ["top level", "unknown key", "`bogus`"] },
    { name: "an empty label", raw: { labels: { intake: "" } }, mentions: ["`labels.intake`", "at least 1", 'string `""`'] },
    { name: "a branch prefix without a trailing slash", raw: { branchPrefix: "factory" }, mentions: ["`branchPrefix`", "ending in `/`", 'string `"factory"`'] },
    { name: "a stage switch that is not a boolean", raw: { stages: { build: { enabled: "yes" } } }, mentions: ["`stages.build.enabled`", "true or false", 'string `"yes"`'] },
    { name: "an unknown stage", raw: { stages: { deploy: { enabled: true } } }, mentions: ["`stages`", "unknown key", "`deploy`"] },
    { name: "labels given as null", raw: { labels: null }, mentions: ["`labels`", "a mapping", "null"] },
    { name: "a ledger title that is too long", raw: { ledger: { title: "x".repeat(201) } }, mentions: ["`ledger.title`", "at most 200"] },
    { name: "a file that is a list", raw: ["admin"], mentions: ["top level", "a mapping", "a list"] },
  ];

  for (const { name, raw, mentions } of cases) {
    it(`reports ${name}`, () => {
      const problems = problemsOf(raw);
      expect(problems).toHaveLength(1);
      for (const text of mentions) expect(problems[0]).toContain(text);
    });
  }

  it("lists the first 20 problems and counts the rest", () => {
    expect(problemsOf({ maxBuildAttempts: "x", labels: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 1])) }).find((p) => p.startsWith("`labels`"))).toMatch(/^`labels` has unknown keys `k0`, .*`k9` and 2 more: remove or rename them/);
    const many = problemsOf({ commands: { allowedRoles: Array.from({ length: 25 }, () => "owner") } });
    expect(many).toHaveLength(21);
    expect(many[20]).toBe("and 5 more problems like these");
  });

  it("reports every problem in one pass, one line each", () => {
    const problems = problemsOf({ maxBuildAttempts: "x", labels: { foo: 1 }, commands: { allowedRoles: ["owner"] } });
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith("`maxBuildAttempts`"))).toBe(true);
    expect(problems.some((p) => p.startsWith("`labels` has unknown key `foo`"))).toBe(true);
    expect(problems.some((p) => p.startsWith("`commands.allowedRoles[0]`"))).toBe(true);
  });
});

describe("configJsonSchema agrees with the zod schema", () => {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true });
  const validate = ajv.compile(configJsonSchema());

  const GOOD = {
    labels: { intake: "robot:go", needsCriteria: "robot:needs", stagePrefix: "robot/", stopped: "robot:stop", blocked: "robot:blocked", ledger: "robot:ledger" },
    commands: { allowedRoles: ["admin", "triage"] },
    branchPrefix: "robots/factory/",
    maxBuildAttempts: 5,
    stages: { scout: { enabled: true }, build: { enabled: false }, verify: {}, package: { enabled: true }, analyst: { enabled: false }, learn: { enabled: true } },
    ledger: { issue: false, title: "Robot ledger" },
  };

  const BAD: Record<string, unknown> = {
    "unknown role": { commands: { allowedRoles: ["owner"] } },
    "empty role list": { commands: { allowedRoles: [] } },
    "attempts as a string": { maxBuildAttempts: "3" },
    "attempts too high": { maxBuildAttempts: 21 },
    "attempts fractional": { maxBuildAttempts: 1.5 },
    "unknown label key": { labels: { foo: "x" } },
    "unknown top-level key": { bogus: 1 },
    "branch prefix without slash": { branchPrefix: "factory" },
    "branch prefix with a space": { branchPrefix: "my factory/" },
    "stage switch as string": { stages: { build: { enabled: "yes" } } },
    "label too long": { labels: { intake: "x".repeat(51) } },
    "empty ledger title": { ledger: { title: "" } },
  };

  it("accepts a good sample config, as zod does", () => {
    expect(parseConfig(GOOD).ok).toBe(true);
    expect(validate(GOOD), JSON.stringify(validate.errors)).toBe(true);
  });

  it("accepts an empty config, as zod does", () => {
    expect(parseConfig({}).ok).toBe(true);
    expect(validate({})).toBe(true);
  });

  for (const [name, config] of Object.entries(BAD)) {
    it(`rejects a bad config (${name}), as zod does`, () => {
      expect(parseConfig(config).ok).toBe(false);
      expect(validate(config)).toBe(false);
    });
  }

  it("agrees with zod on generated configs, valid and invalid", () => {
    // Each field is usually valid (often at a boundary) and sometimes not, so both verdicts are common.
    const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
      fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
    const anyValue = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant([]), fc.constant({}));
    const text = (min: number, max: number) => fc.string({ unit: "grapheme-ascii", minLength: min, maxLength: max });
    const label = mostly(fc.oneof(text(1, 50), text(50, 50)), fc.oneof(fc.constant(""), text(51, 60), anyValue));
    const role = mostly(fc.constantFrom(...ROLES), fc.oneof(fc.constantFrom("owner", "Admin", "member"), anyValue));
    const config = fc.record(
      {
        labels: mostly(fc.record({ intake: label, needsCriteria: label, stagePrefix: mostly(text(1, 40), text(41, 45)), ledger: label }, { requiredKeys: [] }), anyValue),
        commands: mostly(fc.record({ allowedRoles: mostly(fc.array(role, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), anyValue)) }, { requiredKeys: [] }), anyValue),
        branchPrefix: mostly(fc.stringMatching(/^[A-Za-z0-9._/-]{0,12}\/$/), fc.oneof(fc.constantFrom("factory", "a b/", "/x", "ü/"), anyValue)),
        maxBuildAttempts: mostly(fc.integer({ min: 1, max: 20 }), fc.oneof(fc.constantFrom(0, 21, 2.5, -1), anyValue)),
        stages: mostly(
          fc.record({ build: mostly(fc.record({ enabled: mostly(fc.boolean(), anyValue) }, { requiredKeys: [] }), anyValue), learn: fc.constant({}) }, { requiredKeys: [] }),
          fc.oneof(fc.constant({ deploy: {} }), anyValue),
        ),
        ledger: mostly(fc.record({ issue: mostly(fc.boolean(), anyValue), title: mostly(text(1, 200), fc.constantFrom("", "t".repeat(201))) }, { requiredKeys: [] }), anyValue),
        typo: anyValue,
      },
      { requiredKeys: ["labels", "commands", "branchPrefix", "maxBuildAttempts", "stages", "ledger"] },
    ).map(({ typo, ...rest }) => (typo === null ? { ...rest, typo } : rest));
    fc.assert(
      fc.property(config, (raw) => {
        const json = JSON.parse(JSON.stringify(raw)) as unknown;
        expect(validate(json), JSON.stringify(validate.errors)).toBe(parseConfig(json).ok);
      }),
      { numRuns: 500 },
    );
  });

  it("counts label length the same way as zod for characters outside the Basic Multilingual Plane", () => {
    // n emoji are n code points but 2n UTF-16 code units; the limit is 50.
    for (const n of [26, 50, 51]) {
      const config = { labels: { intake: "🤖".repeat(n) } };
      expect(validate(config), `${n} emoji`).toBe(parseConfig(config).ok);
    }
  });
});
