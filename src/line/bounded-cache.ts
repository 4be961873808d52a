/**
 * A memo for work kept across requests in a long-running process: bounded by the
 * weight of what it holds (roughly, characters), not only by its number of entries,
 * so a few large files cannot grow it without end. Past the bound it starts again,
 * empty: the entries are only a saving, and recomputing one is always correct.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (key: K, value: V) => number,
  ) {}

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    const weight = this.weigh(key, value);
    if (weight > this.maxWeight) return;
    const before = this.entries.get(key);
    if (before) this.weight -= before.weight;
    if (this.weight + weight > this.maxWeight) {
      this.entries.clear();
      this.weight = 0;
    }
    this.entries.set(key, { value, weight });
    this.weight += weight;
  }

  get size(): number {
    return this.entries.size;
  }
}
