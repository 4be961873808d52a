import type { z } from "zod";
import { configSchema, type FactoryConfig } from "./schema.js";

export const CONFIG_PATH = ".github/factory.yml";

export type ConfigResult = { ok: true; config: FactoryConfig } | { ok: false; problems: string[] };

/** `verify.commands[0]` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(top level)";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

const TYPE_NAMES: Record<string, string> = { int: "a whole number", array: "a list", object: "a mapping", string: "a string", number: "a number", boolean: "true or false" };

function requirement(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => `\`${String(v)}\``).join(", ")}`;
    case "too_small":
      return issue.origin === "array" ? `must list at least ${issue.minimum}` : issue.origin === "string" ? `must be at least ${issue.minimum} characters` : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string" ? `must be at most ${issue.maximum} characters` : `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

/** One line per problem: the key, what is wrong, what was found, and the fix where zod knows it. */
export function formatProblems(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length ? `\`${formatPath(issue.path)}\`` : "the top level";
      return `${where} has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}: remove or rename ${issue.keys.length > 1 ? "them" : "it"} (see the schema for the keys that exist)`;
    }
    const found = valueAt(input, issue.path);
    const got = found === undefined ? "" : `; got ${describe(found)}`;
    return `\`${formatPath(issue.path)}\` ${requirement(issue)}${got}`;
  });
}

/** Validates what `context.config` returned (`null` when the file is absent). */
export function parseConfig(raw: unknown): ConfigResult {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: formatProblems(parsed.error, raw) };
}
