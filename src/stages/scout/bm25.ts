/** A document as BM25 sees it: how often each term occurs, and how many terms it has. */
export interface TermCounts {
  counts: ReadonlyMap<string, number>;
  length: number;
}

export function termCounts(tokens: readonly string[], into: Map<string, number> = new Map(), times = 1): TermCounts {
  for (const token of tokens) into.set(token, (into.get(token) ?? 0) + times);
  return { counts: into, length: tokens.length * times };
}

/** Okapi BM25 over pre-tokenised documents (token lists, or their counts when the caller keeps them). */
export class Bm25 {
  private readonly df = new Map<string, number>();
  private readonly tf: Array<Map<string, number>> = [];
  private readonly lengths: number[] = [];
  private avgLength = 0;

  constructor(
    documents: ReadonlyArray<readonly string[]> | ReadonlyArray<TermCounts>,
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    let total = 0;
    for (const document of documents) {
      const { counts, length } = Array.isArray(document) ? termCounts(document as readonly string[]) : (document as TermCounts);
      for (const token of counts.keys()) this.df.set(token, (this.df.get(token) ?? 0) + 1);
      this.tf.push(counts as Map<string, number>);
      this.lengths.push(length);
      total += length;
    }
    this.avgLength = documents.length ? total / documents.length : 0;
  }

  get size(): number {
    return this.tf.length;
  }

  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.tf.length - n + 0.5) / (n + 0.5));
  }

  /** Scores for every document (0 where no query term occurs). */
  scores(query: readonly string[]): Float64Array {
    const out = new Float64Array(this.tf.length);
    const terms = [...new Set(query)];
    const idfs = terms.map((t) => this.idf(t));
    for (let d = 0; d < this.tf.length; d++) {
      const counts = this.tf[d] as Map<string, number>;
      const norm = this.k1 * (1 - this.b + (this.b * (this.lengths[d] ?? 0)) / (this.avgLength || 1));
      let score = 0;
      for (let i = 0; i < terms.length; i++) {
        const f = counts.get(terms[i] as string);
        if (!f) continue;
        score += (idfs[i] as number) * ((f * (this.k1 + 1)) / (f + norm));
      }
      out[d] = score;
    }
    return out;
  }
}
