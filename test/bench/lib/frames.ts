/**
 * The `changes` frame the bare baselines broadcast: the hub's wire shape (schemas/ws.ts), with a
 * full pattern per change, so that every system sends and parses the same bytes per delivery.
 */

const DAY = 86_400_000;

/** E.164 digits of a submitted pattern (the bare servers only get plain numbers). */
const digitsOf = (pattern: string) => pattern.replace(/\D/g, '');

export function changesFrame(indicators: { pattern: string; category: string; confidence: number }[], firstSeq: number, newId: () => string): string {
  const now = new Date();
  const changes = indicators.map((i, n) => {
    const digits = digitsOf(i.pattern);
    const seq = firstSeq + n;
    return {
      seq,
      op: 'upsert',
      pattern: {
        id: newId(),
        key: `+${digits}`,
        kind: 'number',
        prefix: digits,
        length: digits.length,
        country: 'PK',
        categories: [i.category],
        confidence: i.confidence,
        reporters: 1,
        action: i.confidence >= 70 ? 'block' : 'flag',
        status: 'active',
        tlp: 'green',
        unallocated: false,
        firstSeen: now.toISOString(),
        lastSeen: now.toISOString(),
        validUntil: new Date(now.getTime() + 30 * DAY).toISOString(),
        seq,
      },
    };
  });
  return JSON.stringify({ type: 'changes', seq: firstSeq + indicators.length - 1, changes });
}
