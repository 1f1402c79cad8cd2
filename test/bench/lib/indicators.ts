/**
 * Indicators as partners send them, for the intake benchmark: eight forms in turn (spaced E.164,
 * national, 00-prefixed, tel: URI, sip: URI, an XX block, an open prefix, a range that is one
 * block), each form in its own mobile code so that distinct indices never share a canonical key.
 * Repeats (re-sending an earlier indicator) are mixed in at a given rate, as in real feeds.
 */

export interface BenchIndicator {
  pattern: string;
  category: string;
  confidence: number;
}

const CATEGORIES = ['wangiri', 'scam_call_center', 'irsf', 'robocall', 'smishing', 'spoofed_cli', 'other'];

/** The u-th distinct indicator (u < 800,000). */
export function indicatorFor(u: number): BenchIndicator {
  const form = u % 8;
  const n = Math.floor(u / 8);
  const d = String(n).padStart(7, '0');
  const e = String(n).padStart(5, '0');
  const op = 300 + form;
  const pattern = [
    `+92 ${op} ${d.slice(0, 3)} ${d.slice(3)}`,
    `0${op}-${d}`,
    `0092${op}${d}`,
    `tel:+92-${op}-${d.slice(0, 3)}-${d.slice(3)}`,
    `sip:+92${op}${d}@gw.carrier.example;user=phone`,
    `+92 ${op} ${e}XX`,
    `+92${op}${e}*`,
    `+92${op}${e}00..+92${op}${e}99`,
  ][form]!;
  return { pattern, category: CATEGORIES[u % CATEGORIES.length]!, confidence: 50 + (u % 50) };
}

/** A small deterministic PRNG (mulberry32), so every run submits the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `total` indicators of which about `repeatRate` re-send an earlier one. */
export function indicatorStream(total: number, repeatRate: number, seed = 6): BenchIndicator[] {
  const rnd = prng(seed);
  const out: BenchIndicator[] = [];
  let next = 0;
  for (let i = 0; i < total; i++) {
    if (next > 0 && rnd() < repeatRate) out.push(indicatorFor(Math.floor(rnd() * next)));
    else out.push(indicatorFor(next++));
  }
  return out;
}
