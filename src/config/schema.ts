import { z } from "zod";

/** Repository roles, as `GET .../collaborators/{user}/permission` reports them in `role_name`. */
export const ROLES = ["admin", "maintain", "write", "triage", "read"] as const;

const label = z.string().min(1).max(50);
const stageSwitch = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

/**
 * `.github/factory.yml`. Strict objects: an unknown key is almost always a typo,
 * and saying so beats silently ignoring it.
 */
export const configSchema = z
  .strictObject({
    labels: z
      .strictObject({
        intake: label.default("factory:intake").describe("The label that hands an issue to the factory."),
        needsCriteria: label.default("factory:needs-criteria"),
        stagePrefix: z.string().min(1).max(40).default("factory:stage/"),
        stopped: label.default("factory:stopped"),
        blocked: label.default("factory:blocked"),
        ledger: label.default("factory:ledger"),
      })
      .prefault({}),
    commands: z
      .strictObject({
        allowedRoles: z
          .array(z.enum(ROLES))
          .min(1)
          .default(["admin", "maintain", "write"])
          .describe("Repository roles that may run state-changing /factory commands."),
      })
      .prefault({}),
    branchPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+\/$/, "must be a branch-name prefix ending in `/`, like `factory/`")
      .default("factory/"),
    maxBuildAttempts: z.number().int().min(1).max(20).default(3),
    stages: z
      .strictObject({
        scout: stageSwitch,
        build: stageSwitch,
        verify: stageSwitch,
        package: stageSwitch,
        analyst: stageSwitch,
        learn: stageSwitch,
      })
      .prefault({}),
    ledger: z
      .strictObject({
        issue: z.boolean().default(true).describe("Keep a pinned ledger issue up to date."),
        title: z.string().min(1).max(200).default("Factory ledger"),
      })
      .prefault({}),
  })
  .prefault({});

export type FactoryConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: FactoryConfig = configSchema.parse({});

/** The JSON Schema for editors, generated from the zod schema so it is never written twice. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input" }),
    $id: "https://github.com/software-factory/software-factory/schema/factory.schema.json",
    title: "Software Factory configuration (.github/factory.yml)",
  };
}
