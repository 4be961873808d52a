/**
 * The app's log: Probot's (the same formatter, and the level, format and Sentry
 * settings read from the same variables), except that no line carries a
 * webhook's payload or signature. Probot logs a failed delivery's error with the
 * delivery attached (`err.event.payload`, the whole body, and again inside the
 * AggregateError), and its access log every request's headers
 * (`x-hub-signature-256`); a sender without the secret could write its bodies
 * into the log as often as it liked.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";

/** Headers that prove or grant something: logged as `[redacted]` by the access log. */
const SECRET_HEADERS = ["x-hub-signature-256", "x-hub-signature", "authorization", "proxy-authorization", "cookie"];

/**
 * The logger to give Probot's `run`. It writes to `destination` (stdout by
 * default; writes to a file or a pipe are synchronous there) through Probot's
 * formatter: pretty, or JSON with `LOG_FORMAT=json` or in production.
 */
export async function appLog(env: NodeJS.ProcessEnv = probotEnv(), destination: NodeJS.WritableStream = process.stdout): Promise<Logger> {
  const transform = await getTransformStream({ logFormat: logFormat(env), logLevelInString: env.LOG_LEVEL_IN_STRING === "true", sentryDsn: env.SENTRY_DSN || undefined });
  transform.pipe(destination);
  return pino(
    {
      level: env.LOG_LEVEL || "info",
      name: "probot",
      messageKey: env.LOG_MESSAGE_KEY || "msg",
      serializers: { err: errorWithoutPayload, event: eventSummary },
      redact: { paths: SECRET_HEADERS.map((header) => `req.headers["${header}"]`), censor: "[redacted]" },
    },
    transform,
  );
}

/** The environment as Probot's `run` reads it: the process's, with `.env` in the working directory over it. */
export function probotEnv(): NodeJS.ProcessEnv {
  try {
    return { ...process.env, ...parseEnv(readFileSync(join(process.cwd(), ".env"), "utf8")) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return process.env;
  }
}

function logFormat(env: NodeJS.ProcessEnv): "json" | "pretty" {
  if (env.LOG_FORMAT) return env.LOG_FORMAT === "pretty" ? "pretty" : "json";
  return env.NODE_ENV === "production" ? "json" : "pretty";
}

type Fields = Record<string, unknown>;
const isFields = (value: unknown): value is Fields => typeof value === "object" && value !== null && !Array.isArray(value);

/** A delivery (`{ id, name, payload, signature }`, as @octokit/webhooks attaches it to its errors) said by its id and name only; anything else as it is. */
export function eventSummary(value: unknown): unknown {
  if (isFields(value) && ("payload" in value || "signature" in value)) return { id: value.id, name: value.name };
  return value;
}

/** Pino's error serializer, with every delivery the error (or an error inside it) carries cut down to its id and name. */
export function errorWithoutPayload(error: unknown): unknown {
  return withoutDeliveries(pino.stdSerializers.err(error as Error), 0);
}

function withoutDeliveries(value: unknown, depth: number): unknown {
  // Serialized errors nest a few levels (an AggregateError's errors, their causes); deeper is not an error's.
  if (depth > 6) return "[deeper]";
  if (Array.isArray(value)) return value.map((item) => withoutDeliveries(item, depth + 1));
  if (!isFields(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutDeliveries(key === "event" ? eventSummary(item) : item, depth + 1)]));
}
