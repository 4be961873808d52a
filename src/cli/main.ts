#!/usr/bin/env node
import { parseArgs } from "node:util";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { CONFIG_PATH, parseConfig } from "../config/load.js";
import { configJsonSchema } from "../config/schema.js";
import { RepoPort } from "../github/repo-port.js";
import { invokedDirectly } from "./invoked.js";
import { collectLedger } from "../ledger/refresh-ledger.js";
import { ledgerTable } from "../ledger/rows.js";
import { ArtifactStore } from "../state/artifact-store.js";
import { stateKey } from "../state/sign.js";

const USAGE = `Usage:
  factory ledger --repo owner/name [--json] [--app-slug software-factory]
      Every artifact with stage, status, owner, branch, PR, verification, next handoff and age,
      rebuilt from the app's signed records. Needs GITHUB_TOKEN (or GH_TOKEN) with read access,
      and FACTORY_STATE_SECRET (or WEBHOOK_SECRET) to check the records' signatures.
      GHE_HOST / GHE_PROTOCOL point it at GitHub Enterprise Server.
  factory schema
      Print the JSON Schema of .github/factory.yml.`;

export class UsageError extends Error {}

/** The REST base URL, the way Probot derives it. */
export function baseUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GHE_HOST) return undefined;
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "schema") {
    out(JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  }
  if (command !== "ledger") throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  const values = ledgerOptions(rest);
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(values.repo ?? "");
  if (!match?.[1] || !match[2]) throw new UsageError("--repo must be owner/name");
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!token) throw new UsageError("set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repository");
  const slug = values["app-slug"] ?? env.FACTORY_APP_SLUG ?? "software-factory";

  const base = baseUrl(env);
  const octokit = new ProbotOctokit({ auth: { token }, ...(base ? { baseUrl: base } : {}) });
  const log = pino({ level: env.LOG_LEVEL ?? "warn" }, pino.destination(2));
  const port = new RepoPort(octokit, { owner: match[1], repo: match[2] });
  const store = new ArtifactStore(port, { botLogin: `${slug}[bot]`, key: stateKey(env), log });
  const { config: raw } = await octokit.config.get({ owner: match[1], repo: match[2], path: CONFIG_PATH });
  const config = parseConfig(raw);
  if (!config.ok) throw new Error(`${CONFIG_PATH} in ${match[1]}/${match[2]} is invalid:\n  ${config.problems.join("\n  ")}`);
  const rows = await collectLedger(store, config.config, Date.now());
  if (values.json) out(JSON.stringify(rows, null, 2));
  else out(rows.length ? ledgerTable(rows) : `No factory artifacts in ${match[1]}/${match[2]}.`);
  return 0;
}

/** A mistyped option is a usage error too: node's message names it, the usage text says what exists. */
function ledgerOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { repo: { type: "string" }, json: { type: "boolean", default: false }, "app-slug": { type: "string" } },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

if (invokedDirectly(import.meta.url)) {
  main(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`factory: ${error.message}\n\n${USAGE}`);
      else console.error(`factory: ${(error as Error).message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
