import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../src/line/bounded-cache.js";

describe("BoundedCache", () => {
  const byLength = () => new BoundedCache<string, string>(10, (_key, value) => value.length);

  it("keeps entries while their weight fits, and a replaced entry's old weight is given back", () => {
    const cache = byLength();
    cache.set("a", "1234");
    cache.set("b", "1234");
    cache.set("a", "12");
    cache.set("c", "1234");
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.size]).toEqual(["12", "1234", "1234", 3]);
  });

  it("starts again, empty, when an entry would pass the bound; an entry heavier than the bound is never kept", () => {
    const cache = byLength();
    cache.set("a", "123456");
    cache.set("b", "123456");
    expect([cache.get("a"), cache.get("b"), cache.size]).toEqual([undefined, "123456", 1]);
    cache.set("huge", "x".repeat(11));
    expect([cache.get("huge"), cache.get("b")]).toEqual([undefined, "123456"]);
  });
});
