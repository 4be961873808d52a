/** Okapi BM25 over pre-tokenised documents. */
export class Bm25 {
  private readonly df = new Map<string, number>();
  private readonly tf: Array<Map<string, number>> = [];
  private readonly lengths: number[] = [];
  private avgLength = 0;

  constructor(
    documents: ReadonlyArray<readonly string[]>,
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    let total = 0;
    for (const tokens of documents) {
      const counts = new Map<string, number>();
      for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
      for (const token of counts.keys()) this.df.set(token, (this.df.get(token) ?? 0) + 1);
      this.tf.push(counts);
      this.lengths.push(tokens.length);
      total += tokens.length;
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
