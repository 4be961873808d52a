/**
 * The demand queue: candidate issues ranked by the demand behind them, each score
 * explained in words. Pure: the signals are read elsewhere (the issue listing, the
 * candidates' comments, the factory's finished artifacts).
 */

export interface Candidate {
  number: number;
  title: string;
  labels: readonly string[];
  createdAt: string;
  /** Reactions on the issue: 👍, 👎, and the other positive ones (❤️ 🎉 🚀 😄). */
  reactions: { up: number; down: number; other: number };
  /** People other than the author who commented. */
  commenters: number;
  /** Other issues that mention this one (`#n`). */
  linked: number;
  /** Issues closed or marked as duplicates of this one ("Duplicate of #n"). */
  duplicates: number;
}

/** How the factory's finished artifacts of one kind (a label) went. */
export interface KindOutcome {
  kind: string;
  /** Merged without requested changes. */
  clean: number;
  /** Merged after requested changes. */
  reworked: number;
  /** Ended blocked, closed without merging, or reverted. */
  failed: number;
}

export interface RankedCandidate {
  number: number;
  title: string;
  score: number;
  /** The score in words, largest part first. */
  why: string[];
}

/** Labels that say something is broken for someone now. */
const URGENT: Record<string, number> = { bug: 5, regression: 8, security: 8, crash: 6, "data loss": 8 };

/** At least this many finished artifacts of a kind before their outcomes move the ranking. */
const MIN_HISTORY = 2;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function rankCandidates(candidates: readonly Candidate[], outcomes: readonly KindOutcome[], now: number): RankedCandidate[] {
  const byKind = new Map(outcomes.map((o) => [o.kind.toLowerCase(), o]));
  return candidates
    .map((c) => {
      const parts: Array<{ points: number; text: string }> = [];
      const add = (points: number, text: string) => {
        if (points !== 0) parts.push({ points, text });
      };
      add(3 * Math.min(c.reactions.up, 50), `${plural(c.reactions.up, "👍", "👍")} (+3 each)`);
      add(Math.min(c.reactions.other, 50), `${plural(c.reactions.other, "other positive reaction")} (+1 each)`);
      add(-2 * Math.min(c.reactions.down, 50), `${plural(c.reactions.down, "👎", "👎")} (−2 each)`);
      add(2 * Math.min(c.commenters, 20), `${plural(c.commenters, "person", "people")} besides the author commented (+2 each)`);
      add(3 * Math.min(c.linked, 20), `mentioned by ${plural(c.linked, "other issue")} (+3 each)`);
      add(4 * Math.min(c.duplicates, 20), `${plural(c.duplicates, "duplicate")} point here (+4 each)`);
      for (const label of c.labels) {
        const urgent = URGENT[label.toLowerCase()];
        if (urgent) add(urgent, `labelled \`${label}\` (+${urgent})`);
      }
      const weeks = Math.max(0, (now - Date.parse(c.createdAt)) / (7 * 86_400_000));
      const aged = Math.round(Math.min(5, Math.log2(1 + weeks)) * 10) / 10;
      if (aged >= 0.5) add(aged, `waiting ${Math.round(weeks)} week${Math.round(weeks) === 1 ? "" : "s"} (+${aged})`);
      // What shipped before: kinds merged without requested changes rank up, kinds that ended blocked or reverted rank down.
      for (const label of c.labels) {
        const o = byKind.get(label.toLowerCase());
        const total = o ? o.clean + o.reworked + o.failed : 0;
        if (!o || total < MIN_HISTORY) continue;
        const points = Math.round(((o.clean - o.failed) / total) * 5 * 10) / 10;
        add(points, `\`${label}\` requests the factory finished: ${o.clean} of ${total} merged without requested changes, ${o.failed} blocked, closed or reverted (${points > 0 ? "+" : "−"}${Math.abs(points)})`);
      }
      const score = Math.round(parts.reduce((sum, p) => sum + p.points, 0) * 10) / 10;
      return { number: c.number, title: c.title, score, why: parts.sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).map((p) => p.text) };
    })
    .sort((a, b) => b.score - a.score || a.number - b.number);
}

/** How the ranking reads in the ledger and in `factory queue`: one line per candidate. */
export function queueLines(ranked: readonly RankedCandidate[], limit = 10): string[] {
  return ranked.slice(0, limit).map((r, i) => `${i + 1}. #${r.number} ${r.title} (score ${r.score}): ${r.why.join("; ") || "no demand signals yet"}`);
}
