import type { z } from "zod";
import { codeSpan } from "../line/text.js";
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
  return `${typeof value} ${codeSpan(JSON.stringify(value) ?? String(value), 60)}`;
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

/** The most problems a report lists, and the most unknown keys one problem names: the rest are counted. */
export const MAX_PROBLEMS = 20;
const MAX_KEYS = 10;

/**
 * One line per problem: the key, what is wrong, what was found, and the fix where
 * zod knows it. Keys and values come from the file, so each is shown as a short,
 * inert code span; a file with hundreds of problems gets the first
 * {@link MAX_PROBLEMS} and a count.
 */
export function formatProblems(error: z.ZodError, input: unknown): string[] {
  const lines = error.issues.slice(0, MAX_PROBLEMS).map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length ? codeSpan(formatPath(issue.path)) : "the top level";
      const named = issue.keys.slice(0, MAX_KEYS).map((k) => codeSpan(k, 60));
      const more = issue.keys.length > MAX_KEYS ? ` and ${issue.keys.length - MAX_KEYS} more` : "";
      return `${where} has unknown key${issue.keys.length > 1 ? "s" : ""} ${named.join(", ")}${more}: remove or rename ${issue.keys.length > 1 ? "them" : "it"} (see the schema for the keys that exist)`;
    }
    const found = valueAt(input, issue.path);
    const got = found === undefined ? "" : `; got ${describe(found)}`;
    return `${codeSpan(formatPath(issue.path))} ${requirement(issue)}${got}`;
  });
  const rest = error.issues.length - MAX_PROBLEMS;
  return rest > 0 ? [...lines, `and ${rest} more problem${rest === 1 ? "" : "s"} like these`] : lines;
}

/** Validates what `context.config` returned (`null` when the file is absent). */
export function parseConfig(raw: unknown): ConfigResult {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: formatProblems(parsed.error, raw) };
}
