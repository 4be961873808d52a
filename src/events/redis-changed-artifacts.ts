import { Redis } from "ioredis";
import type { ChangedArtifacts } from "./changed-artifacts.js";

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

/**
 * The marks in Redis, shared by every process: one set of issue numbers per
 * repository. `take` drains a set in one transaction, so two refreshes never take
 * the same mark and a mark made while one takes is kept for the next.
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
    await this.redis.sadd(this.key(repository), String(issue));
  }

  async take(repository: string): Promise<number[]> {
    const key = this.key(repository);
    const replies = await this.redis.multi().smembers(key).del(key).exec();
    const [members] = replies ?? [];
    if (!members) throw new Error("the marks transaction was discarded");
    const [error, value] = members;
    if (error) throw error;
    return (value as string[])
      .map(Number)
      .filter((n) => Number.isSafeInteger(n) && n > 0)
      .sort((a, b) => a - b);
  }

  /** Quits the connection if these marks opened it; a shared client is left to its owner. */
  async close(): Promise<void> {
    if (!this.owned) return;
    if (this.redis.status === "ready") await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
