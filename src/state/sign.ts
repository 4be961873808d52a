import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * The signing key: `FACTORY_STATE_SECRET`, else derived from `WEBHOOK_SECRET` with a
 * domain label so the webhook secret itself never signs anything but webhooks.
 */
export function stateKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const explicit = env.FACTORY_STATE_SECRET;
  if (explicit) return Buffer.from(explicit, "utf8");
  const webhook = env.WEBHOOK_SECRET;
  if (!webhook) {
    throw new Error("No state key: set FACTORY_STATE_SECRET (or WEBHOOK_SECRET, from which one is derived).");
  }
  return createHmac("sha256", webhook).update("software-factory/state/v1").digest();
}

/** Canonical JSON: object keys sorted, so the signature does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function sign(payload: unknown, key: Buffer): string {
  return createHmac("sha256", key).update(canonicalJson(payload)).digest("base64url");
}

export function verify(payload: unknown, sig: string, key: Buffer): boolean {
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A short stable digest, for dedup keys (config errors, request bodies). */
export function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
