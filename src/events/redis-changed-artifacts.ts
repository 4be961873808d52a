import { Redis } from "ioredis";
import type { ChangedArtifacts, Marks } from "./changed-artifacts.js";

export type RedisChangedArtifactsOptions = (
  | {
      /** A client to share: it stays the caller's, and `close` leaves it open. */
      redis: Redis;
      url?: undefined;
    }
  | {
      /** `REDIS_URL` (never logged): the marks open a connection of their own, which `close` quits. */
      url: string;
      redis?: undefined;
    }
) & {
  /** The first part of every key: `<prefix>:changed:<owner/repo>`. */
  prefix?: string | undefined;
  /** Where errors of an owned connection go (a shared client's are its owner's to hear). */
  log?: ((message: string, fields: Record<string, unknown>) => void) | undefined;
};

/** Deletes each field whose value is still the one read: a mark made again since stays. */
const CLEAR = `
for i = 1, #ARGV, 2 do
  if redis.call("HGET", KEYS[1], ARGV[i]) == ARGV[i + 1] then redis.call("HDEL", KEYS[1], ARGV[i]) end
end
return 0`;

/**
 * The marks in Redis, shared by every process: one hash per repository, issue →
 * how many times it was marked. A refresh reads them, and clears each one only if
 * its count is still the one it read (in one script), so a mark made while a refresh
 * runs is kept for the next, and a refresh that dies clears nothing.
 *
 * It takes an existing ioredis client (`{ redis }`, which it never closes) or a URL
 * (`{ url }`, a connection of its own that `close` quits).
 */
export class RedisChangedArtifacts implements ChangedArtifacts {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(options: RedisChangedArtifactsOptions) {
    this.prefix = options.prefix ?? "factory";
    if (options.redis) {
      this.redis = options.redis;
      this.owned = false;
    } else {
      const log = options.log ?? (() => {});
      this.redis = new Redis(options.url);
      this.redis.on("error", (error: Error) => log("redis marks connection error", { err: error.message }));
      this.owned = true;
    }
  }

  private key(repository: string): string {
    return `${this.prefix}:changed:${repository.toLowerCase()}`;
  }

  async mark(repository: string, issue: number): Promise<void> {
    await this.redis.hincrby(this.key(repository), String(issue), 1);
  }

  async marked(repository: string): Promise<Marks> {
    const key = this.key(repository);
    const seen = await this.redis.hgetall(key);
    const issues = Object.keys(seen)
      .map(Number)
      .filter((n) => Number.isSafeInteger(n) && n > 0)
      .sort((a, b) => a - b);
    return {
      issues,
      clear: async () => {
        const pairs = Object.entries(seen).flat();
        if (pairs.length) await this.redis.eval(CLEAR, 1, key, ...pairs);
      },
    };
  }

  /** Quits the connection if these marks opened it; a shared client is left to its owner. */
  async close(): Promise<void> {
    if (!this.owned) return;
    if (this.redis.status === "ready") await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
