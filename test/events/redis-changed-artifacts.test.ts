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

/** Reads the marks and clears them: a refresh that succeeded. */
async function take(marks: ChangedArtifacts, repo: string): Promise<number[]> {
  const read = await marks.marked(repo);
  await read.clear();
  return read.issues;
}

/** What every implementation does; the Redis one is also run with a client it shares. */
function marksContract(make: () => ChangedArtifacts): void {
  it("reads every mark of a repository, sorted and without repeats; cleared, they are gone", async () => {
    const marks = make();
    const repo = freshRepo();
    for (const issue of [12, 3, 100, 3, 7]) await marks.mark(repo, issue);
    await marks.mark(freshRepo(), 5);
    expect(await take(marks, repo)).toEqual([3, 7, 12, 100]);
    expect(await take(marks, repo)).toEqual([]);
  });

  it("treats the repository name without case", async () => {
    const marks = make();
    const repo = freshRepo();
    await marks.mark(repo, 2);
    await marks.mark(repo.toUpperCase(), 1);
    expect(await take(marks, repo.toLowerCase())).toEqual([1, 2]);
  });

  it("keeps every mark when a refresh does not finish (it reads, then fails or dies before clearing)", async () => {
    const marks = make();
    const repo = freshRepo();
    await marks.mark(repo, 1);
    await marks.mark(repo, 2);
    expect((await marks.marked(repo)).issues).toEqual([1, 2]);
    expect(await take(marks, repo)).toEqual([1, 2]);
  });

  it("keeps a mark made again while a refresh ran: its clear removes only what it read", async () => {
    const marks = make();
    const repo = freshRepo();
    await marks.mark(repo, 1);
    await marks.mark(repo, 2);
    const read = await marks.marked(repo);
    await marks.mark(repo, 2);
    await marks.mark(repo, 3);
    await read.clear();
    expect(await take(marks, repo)).toEqual([2, 3]);
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
    expect(await shared.hgetall(`p:changed:${repo.toLowerCase()}`)).toEqual({ "4": "1" });
    expect(await take(other, repo)).toEqual([4]);
    expect(await shared.exists(`p:changed:${repo.toLowerCase()}`)).toBe(0);
  });

  it("loses no mark to refreshes racing with marks in several processes: each was read by a refresh or is still there", async () => {
    const processes = [0, 1, 2].map(() => new RedisChangedArtifacts({ url: redis.url, prefix: "race" }));
    owned.push(...processes);
    const repo = freshRepo();
    const read = new Set<number>();
    const marking = (async () => {
      for (let issue = 1; issue <= 300; issue++) await (processes[issue % 3] as RedisChangedArtifacts).mark(repo, issue);
    })();
    const refreshing = processes.map(async (p) => {
      for (let round = 0; round < 40; round++) for (const issue of await take(p, repo)) read.add(issue);
    });
    await Promise.all([marking, ...refreshing]);
    for (const issue of (await (processes[0] as RedisChangedArtifacts).marked(repo)).issues) read.add(issue);
    expect(read.size).toBe(300);
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
