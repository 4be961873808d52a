import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryChangedArtifacts, type ChangedArtifacts } from "../../src/events/changed-artifacts.js";
import { RedisChangedArtifacts } from "../../src/events/redis-changed-artifacts.js";
import { startRedis, type RunningRedis } from "../support/redis.js";

let redis: RunningRedis;
let shared: Redis;
let repos = 0;
const freshRepo = () => `Octo/Widgets-${++repos}`;

beforeAll(async () => {
  redis = await startRedis();
  shared = new Redis(redis.url);
});
afterAll(async () => {
  await shared?.quit();
  await redis?.stop();
});

/** What every implementation does; the Redis one is also run with a client it shares. */
function marksContract(make: () => ChangedArtifacts): void {
  it("takes every mark of a repository, sorted and without repeats, and none after", async () => {
    const marks = make();
    const repo = freshRepo();
    for (const issue of [12, 3, 100, 3, 7]) await marks.mark(repo, issue);
    await marks.mark(freshRepo(), 5);
    expect(await marks.take(repo)).toEqual([3, 7, 12, 100]);
    expect(await marks.take(repo)).toEqual([]);
  });

  it("treats the repository name without case", async () => {
    const marks = make();
    const repo = freshRepo();
    await marks.mark(repo, 2);
    await marks.mark(repo.toUpperCase(), 1);
    expect(await marks.take(repo.toLowerCase())).toEqual([1, 2]);
  });

  it("keeps a mark made after a take for the next take (a failed refresh puts its marks back with mark)", async () => {
    const marks = make();
    const repo = freshRepo();
    await marks.mark(repo, 1);
    const taken = await marks.take(repo);
    await marks.mark(repo, 2);
    for (const issue of taken) await marks.mark(repo, issue);
    expect(await marks.take(repo)).toEqual([1, 2]);
  });
}

describe("MemoryChangedArtifacts", () => {
  marksContract(() => new MemoryChangedArtifacts());
});

describe("RedisChangedArtifacts", () => {
  const owned: RedisChangedArtifacts[] = [];
  afterAll(async () => {
    await Promise.all(owned.map((m) => m.close()));
  });

  describe("with a connection of its own", () => {
    marksContract(() => {
      const marks = new RedisChangedArtifacts({ url: redis.url, prefix: "own" });
      owned.push(marks);
      return marks;
    });
  });

  describe("with a shared client", () => {
    marksContract(() => new RedisChangedArtifacts({ redis: shared, prefix: "shared" }));
  });

  it("keeps marks in Redis, shared by processes, under <prefix>:changed:<repository in lower case>", async () => {
    const one = new RedisChangedArtifacts({ redis: shared, prefix: "p" });
    const other = new RedisChangedArtifacts({ url: redis.url, prefix: "p" });
    owned.push(other);
    const repo = freshRepo();
    await one.mark(repo, 4);
    expect(await shared.smembers(`p:changed:${repo.toLowerCase()}`)).toEqual(["4"]);
    expect(await other.take(repo)).toEqual([4]);
    expect(await shared.exists(`p:changed:${repo.toLowerCase()}`)).toBe(0);
  });

  it("gives each mark to exactly one of several takes racing with marks", async () => {
    const processes = [0, 1, 2].map(() => new RedisChangedArtifacts({ url: redis.url, prefix: "race" }));
    owned.push(...processes);
    const repo = freshRepo();
    const taken: number[][] = [];
    const marking = (async () => {
      for (let issue = 1; issue <= 300; issue++) await (processes[issue % 3] as RedisChangedArtifacts).mark(repo, issue);
    })();
    const taking = processes.map(async (p) => {
      for (let round = 0; round < 40; round++) taken.push(await p.take(repo));
    });
    await Promise.all([marking, ...taking]);
    taken.push(await (processes[0] as RedisChangedArtifacts).take(repo));
    const all = taken.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    for (const batch of taken) expect(batch).toEqual([...batch].sort((a, b) => a - b));
  });

  it("leaves a shared client open on close, and quits its own", async () => {
    const borrowed = new RedisChangedArtifacts({ redis: shared });
    await borrowed.close();
    expect(await shared.ping()).toBe("PONG");
    const own = new RedisChangedArtifacts({ url: redis.url });
    await own.mark(freshRepo(), 1);
    await own.close();
    await expect(own.mark(freshRepo(), 2)).rejects.toThrow();
  });
});
