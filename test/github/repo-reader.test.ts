import { describe, expect, it } from "vitest";
import { PortCaches, type RepoPort } from "../../src/github/repo-port.js";
import { GitHubReader } from "../../src/github/repo-reader.js";

/** A port that serves a fixed tree and counts what it is asked for. */
function fakePort(files: Record<string, string>, caches = new PortCaches()) {
  const calls: string[] = [];
  const entries = Object.entries(files).map(([path, text], i) => ({ path, size: text.length, sha: `sha${i}`, text }));
  const port = {
    tree: async () => {
      calls.push("tree");
      return { files: entries.map(({ path, size, sha }) => ({ path, size, sha })), truncated: false };
    },
    hasBlob: (sha: string) => caches.blobs.has(sha),
    blob: async (sha: string) => {
      const cached = caches.blobs.get(sha);
      if (cached !== undefined) return { text: cached, fetched: false };
      calls.push(`blob ${sha}`);
      const text = entries.find((e) => e.sha === sha)?.text ?? "";
      caches.blobs.set(sha, text);
      return { text, fetched: true };
    },
    commitMessages: async () => {
      calls.push("commits");
      return [{ sha: "c1", message: "fix: one" }];
    },
    commitFiles: async () => {
      calls.push("commit files");
      return ["a.ts"];
    },
  };
  return { port: port as unknown as RepoPort, calls, caches };
}

describe("GitHubReader", () => {
  it("reads the tree once and blobs until the byte budget is spent", async () => {
    const { port, calls } = fakePort({ "a.ts": "x".repeat(600), "b.ts": "y".repeat(600), "c.ts": "z".repeat(600) });
    const reader = new GitHubReader(port, "head", { requests: 100, bytesRead: 1000 });
    expect((await reader.listFiles()).map((f) => f.path)).toEqual(["a.ts", "b.ts", "c.ts"]);
    const read = await reader.readFiles(["a.ts", "b.ts", "c.ts"]);
    expect([...read.keys()]).toEqual(["a.ts", "b.ts"]);
    expect(calls).toEqual(["tree", "blob sha0", "blob sha1"]);
    expect(reader.bytes).toBe(1200);
  });

  it("stops at the request budget", async () => {
    const { port, calls } = fakePort({ "a.ts": "a", "b.ts": "b", "c.ts": "c" });
    const reader = new GitHubReader(port, "head", { requests: 2, bytesRead: 1_000_000 });
    await reader.listFiles();
    expect([...(await reader.readFiles(["a.ts", "b.ts", "c.ts"])).keys()]).toEqual(["a.ts"]);
    expect(await reader.history(10)).toEqual([]);
    expect(calls).toEqual(["tree", "blob sha0"]);
    expect(reader.requests).toBe(2);
  });

  it("reads cached blobs without a request or budget", async () => {
    const caches = new PortCaches();
    const first = fakePort({ "a.ts": "alpha" }, caches);
    await new GitHubReader(first.port, "head", { requests: 10, bytesRead: 100 }).readFiles([]);
    const warm = new GitHubReader(first.port, "head", { requests: 10, bytesRead: 100 });
    await warm.listFiles();
    await warm.readFiles(["a.ts"]);
    const again = new GitHubReader(first.port, "head", { requests: 1, bytesRead: 0 });
    await again.listFiles();
    expect((await again.readFiles(["a.ts"])).get("a.ts")).toBe("alpha");
    expect(first.calls.filter((c) => c.startsWith("blob"))).toEqual(["blob sha0"]);
  });

  it("skips binary contents", async () => {
    const { port } = fakePort({ "img.dat": "a\u0000b", "a.ts": "text" });
    const reader = new GitHubReader(port, "head", { requests: 10, bytesRead: 100 });
    await reader.listFiles();
    expect([...(await reader.readFiles(["img.dat", "a.ts"])).keys()]).toEqual(["a.ts"]);
  });

  it("lists commit messages, then a commit's files on request", async () => {
    const { port } = fakePort({});
    const reader = new GitHubReader(port, "head", { requests: 10, bytesRead: 100 });
    expect(await reader.history(10)).toEqual([{ sha: "c1", message: "fix: one", files: [] }]);
    expect(await reader.commitFiles("c1")).toEqual(["a.ts"]);
  });
});
