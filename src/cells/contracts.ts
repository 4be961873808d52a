import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { z } from "zod";
import { formatPath } from "../config/load.js";
import { STAGES } from "../line/stages.js";

/** `cells/` at the package root: the same relative path from `src/cells` and `lib/cells`. */
export const CELLS_ROOT = fileURLToPath(new URL("../../cells/", import.meta.url));

const cellSpec = z.strictObject({
  stage: z.enum(STAGES),
  runner: z.enum(["inline", "local", "actions"]),
  harness: z.string().min(1),
  timeoutSeconds: z.number().int().positive().max(24 * 3600),
  budget: z.record(z.string(), z.number().nonnegative()).default({}),
});

export type CellSpec = z.infer<typeof cellSpec>;

export interface CellContract {
  name: string;
  spec: CellSpec;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction;
  prompt: string | undefined;
}

/** A broken contract: which file, where in it, and what is wrong. Startup stops on one. */
export class ContractError extends Error {
  constructor(
    readonly file: string,
    readonly at: string,
    readonly problem: string,
  ) {
    super(`${file}: ${at}: ${problem}`);
    this.name = "ContractError";
  }
}

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/** One message per schema error, with the JSON path of the offending value. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, root = "output"): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath ? e.instancePath.split("/").slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, "/").replace(/~0/g, "~"))) : [];
    const where = path.length ? `${root}.${formatPath(path)}`.replace(/\.\[/g, "[") : root;
    const extra = e.keyword === "additionalProperties" ? ` (\`${String((e.params as { additionalProperty?: string }).additionalProperty)}\`)` : "";
    return `\`${where}\` ${e.message ?? "is invalid"}${extra}`;
  });
}

function readJson(file: string, label: string): unknown {
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ContractError(label, "(file)", `is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Loads and compiles every cell contract under `root`, once, at startup. A cell
 * without a valid `cell.yml`, or with a schema ajv cannot compile in strict mode,
 * throws a ContractError naming the file, the JSON path and the problem.
 */
export function loadContracts(root: string = CELLS_ROOT): Map<string, CellContract> {
  const contracts = new Map<string, CellContract>();
  if (!existsSync(root)) return contracts;
  const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
  for (const name of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const dir = join(root, name);
    const label = (file: string) => `cells/${name}/${file}`;
    for (const required of ["cell.yml", "input.schema.json", "output.schema.json"]) {
      if (!existsSync(join(dir, required))) throw new ContractError(label(required), "(file)", "is missing; every cell needs cell.yml, input.schema.json and output.schema.json");
    }
    let raw: unknown;
    try {
      raw = parse(readFileSync(join(dir, "cell.yml"), "utf8"));
    } catch (error) {
      throw new ContractError(label("cell.yml"), "(file)", `is not YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    const spec = cellSpec.safeParse(raw);
    if (!spec.success) {
      const issue = spec.error.issues[0];
      throw new ContractError(label("cell.yml"), formatPath(issue?.path ?? []), issue?.message ?? "is invalid");
    }
    const compile = (file: string): ValidateFunction => {
      const schema = readJson(join(dir, file), label(file));
      try {
        return ajv.compile(schema as object);
      } catch (error) {
        const message = (error as Error).message;
        const at = /at "([^"]*)"/.exec(message)?.[1] ?? /path "([^"]*)"/.exec(message)?.[1] ?? "(schema)";
        throw new ContractError(label(file), at, message);
      }
    };
    const promptFile = join(dir, "prompt.md");
    contracts.set(name, {
      name,
      spec: spec.data,
      validateInput: compile("input.schema.json"),
      validateOutput: compile("output.schema.json"),
      prompt: existsSync(promptFile) ? readFileSync(promptFile, "utf8") : undefined,
    });
  }
  return contracts;
}

/** Checks a cell's output against its contract: `ok`, or the problems to show instead of passing it on. */
export function checkOutput(contract: CellContract, output: unknown): { ok: true } | { ok: false; problems: string[] } {
  if (contract.validateOutput(output)) return { ok: true };
  return { ok: false, problems: describeErrors(contract.validateOutput.errors) };
}

export function checkInput(contract: CellContract, input: unknown): { ok: true } | { ok: false; problems: string[] } {
  if (contract.validateInput(input)) return { ok: true };
  return { ok: false, problems: describeErrors(contract.validateInput.errors, "input") };
}

/** The contract of the cell that runs `stage` (`cells/<name>/cell.yml` names its stage). */
export function contractFor(contracts: ReadonlyMap<string, CellContract>, stage: string): CellContract | undefined {
  for (const contract of contracts.values()) if (contract.spec.stage === stage) return contract;
  return undefined;
}
