import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ErrorObject } from "ajv";
import { afterEach, describe, expect, it } from "vitest";
import { checkInput, checkOutput, ContractError, contractFor, describeErrors, loadContracts, type CellContract } from "../../src/cells/contracts.js";

const CELL_YML = "stage: scout\nrunner: inline\nharness: none\ntimeoutSeconds: 60\n";
const OBJECT_SCHEMA = JSON.stringify({ type: "object" });

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A `cells/` directory with one cell, `demo`, whose files can each be replaced or left out. */
function cellsDir(files: { "cell.yml"?: string | null; "input.schema.json"?: string | null; "output.schema.json"?: string | null; "prompt.md"?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "factory-contracts-"));
  roots.push(root);
  const dir = join(root, "demo");
  mkdirSync(dir);
  const all = { "cell.yml": CELL_YML, "input.schema.json": OBJECT_SCHEMA, "output.schema.json": OBJECT_SCHEMA, ...files };
  for (const [name, text] of Object.entries(all)) if (typeof text === "string") writeFileSync(join(dir, name), text);
  return root;
}

function loadError(root: string): ContractError {
  let caught: unknown;
  try {
    loadContracts(root);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ContractError);
  return caught as ContractError;
}

describe("loadContracts on the real cells/ directory", () => {
  it("loads every cell, each with its stage, and the scout's limits", () => {
    const contracts = loadContracts();
    expect(contracts.size).toBeGreaterThanOrEqual(2);
    expect(contractFor(contracts, "scout")?.name).toBe("scout");
    expect(contractFor(contracts, "build")?.name).toBe("builder");
    expect(contractFor(contracts, "scout")?.spec.budget.filesRead).toBeGreaterThan(0);
    expect(contractFor(contracts, "build")?.prompt).toMatch(/\S/);
    expect(contractFor(contracts, "learn")).toBeUndefined();
  });
});

describe("loadContracts on a broken contract", () => {
  it("loads a minimal valid cell, with an empty budget by default and no prompt", () => {
    const demo = loadContracts(cellsDir()).get("demo");
    expect(demo?.spec).toEqual({ stage: "scout", runner: "inline", harness: "none", timeoutSeconds: 60, budget: {} });
    expect(demo?.prompt).toBeUndefined();
  });

  it("returns no contracts for a directory that does not exist", () => {
    expect(loadContracts(join(tmpdir(), "factory-no-such-dir-" + process.pid)).size).toBe(0);
  });

  it("names a missing contract file", () => {
    const error = loadError(cellsDir({ "output.schema.json": null }));
    expect(error.file).toBe("cells/demo/output.schema.json");
    expect(error.message).toMatch(/^cells\/demo\/output\.schema\.json: \(file\): is missing/);
  });

  it("rejects cell.yml that is not YAML, saying where", () => {
    const error = loadError(cellsDir({ "cell.yml": "stage: [scout\nrunner: inline\n" }));
    expect(error.file).toBe("cells/demo/cell.yml");
    expect(error.message).toContain("cells/demo/cell.yml");
    expect(error.message).toMatch(/is not YAML: .*line \d+/);
  });

  it("names the missing field of cell.yml", () => {
    const error = loadError(cellsDir({ "cell.yml": "stage: scout\nrunner: inline\nharness: none\n" }));
    expect(error.file).toBe("cells/demo/cell.yml");
    expect(error.at).toBe("timeoutSeconds");
    expect(error.message).toMatch(/^cells\/demo\/cell\.yml: timeoutSeconds: .*expected number/);
  });

  it("names a nested field with a bad value, an unknown stage and an unknown key", () => {
    expect(loadError(cellsDir({ "cell.yml": `${CELL_YML}budget:\n  filesRead: -1\n` })).at).toBe("budget.filesRead");
    expect(loadError(cellsDir({ "cell.yml": CELL_YML.replace("scout", "deploy") })).at).toBe("stage");
    expect(loadError(cellsDir({ "cell.yml": `${CELL_YML}extra: 1\n` })).message).toContain('"extra"');
  });

  it("rejects a schema that is not JSON, naming the file", () => {
    const error = loadError(cellsDir({ "input.schema.json": "{ type: object" }));
    expect(error.file).toBe("cells/demo/input.schema.json");
    expect(error.message).toMatch(/^cells\/demo\/input\.schema\.json: \(file\): is not JSON: /);
  });

  it("rejects a schema that ajv rejects, naming the file, the path in it and the problem", () => {
    const error = loadError(cellsDir({ "output.schema.json": JSON.stringify({ type: "object", properties: { a: { type: "strng" } } }) }));
    expect(error.file).toBe("cells/demo/output.schema.json");
    expect(error.message).toContain("cells/demo/output.schema.json");
    expect(error.message).toContain("properties/a/type");
    expect(error.message).toContain("must be equal to one of the allowed values");
  });

  it("rejects an unknown keyword, since schemas compile in strict mode", () => {
    const error = loadError(cellsDir({ "input.schema.json": JSON.stringify({ type: "object", propertiez: {} }) }));
    expect(error.file).toBe("cells/demo/input.schema.json");
    expect(error.message).toContain('unknown keyword: "propertiez"');
  });
});

describe("checkInput / checkOutput", () => {
  const schema = JSON.stringify({
    type: "object",
    additionalProperties: false,
    required: ["files"],
    properties: { files: { type: "array", items: { type: "object", required: ["path"], properties: { path: { type: "string" } } } } },
  });
  const contract = (): CellContract => loadContracts(cellsDir({ "input.schema.json": schema, "output.schema.json": schema })).get("demo") as CellContract;

  it("passes a valid value", () => {
    expect(checkOutput(contract(), { files: [{ path: "a.ts" }] })).toEqual({ ok: true });
    expect(checkInput(contract(), { files: [] })).toEqual({ ok: true });
  });

  it("reports every problem with the path of the offending value", () => {
    const result = checkOutput(contract(), { files: [{ path: "a.ts" }, { path: 7 }, {}], extra: true });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        "`output` must NOT have additional properties (`extra`)",
        "`output.files[1].path` must be string",
        "`output.files[2]` must have required property 'path'",
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it("roots input problems at `input`", () => {
    const result = checkInput(contract(), {});
    expect(result).toEqual({ ok: false, problems: ["`input` must have required property 'files'"] });
  });

  it("checks the scout's real input contract", () => {
    const scout = contractFor(loadContracts(), "scout") as CellContract;
    const result = checkInput(scout, { repo: "octo/widgets", commit: "a".repeat(40), title: "t", goal: "g", criteria: [1] });
    expect(result).toEqual({ ok: false, problems: ["`input.criteria[0]` must be string"] });
  });
});

describe("describeErrors", () => {
  const error = (instancePath: string, keyword: string, message: string, params: Record<string, unknown> = {}): ErrorObject => ({ instancePath, keyword, message, params, schemaPath: "#/x" });

  it("turns JSON pointers into dotted paths with [index] for array items", () => {
    expect(describeErrors([error("/likelyFiles/0/score", "type", "must be number")])).toEqual(["`output.likelyFiles[0].score` must be number"]);
  });

  it("unescapes ~1 and ~0 in pointer segments", () => {
    expect(describeErrors([error("/a~1b/c~0d", "type", "must be string")], "input")).toEqual(["`input.a/b.c~d` must be string"]);
  });

  it("names the unexpected key of additionalProperties, and the root when there is no path", () => {
    expect(describeErrors([error("", "additionalProperties", "must NOT have additional properties", { additionalProperty: "extra" })])).toEqual([
      "`output` must NOT have additional properties (`extra`)",
    ]);
  });

  it("says `is invalid` when ajv gives no message, and nothing for no errors", () => {
    expect(describeErrors([{ instancePath: "/x", keyword: "custom", params: {}, schemaPath: "#" }])).toEqual(["`output.x` is invalid"]);
    expect(describeErrors(null)).toEqual([]);
    expect(describeErrors(undefined)).toEqual([]);
    expect(describeErrors([])).toEqual([]);
  });
});
