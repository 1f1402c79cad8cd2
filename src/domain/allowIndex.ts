import { blockContains, type Block } from './blocks';

/** A certified legitimate block and who holds it. */
export interface AllowedBlock extends Block {
  entryId: string;
  holder: string;
  certificate: string;
}

/** The active allowlist in memory, for lookups: longest prefix first, a handful of map probes. */
export class AllowIndex {
  #byPrefix = new Map<string, AllowedBlock[]>();
  #maxPrefix = 0;

  /** Replaces the whole list (it is small and changes rarely). */
  replace(blocks: readonly AllowedBlock[]): void {
    const next = new Map<string, AllowedBlock[]>();
    let max = 0;
    for (const b of blocks) {
      const list = next.get(b.prefix);
      if (list) list.push(b);
      else next.set(b.prefix, [b]);
      max = Math.max(max, b.prefix.length);
    }
    this.#byPrefix = next;
    this.#maxPrefix = max;
  }

  /** The most specific allowlisted block covering the number, if any. */
  find(digits: string): AllowedBlock | undefined {
    for (let n = Math.min(digits.length, this.#maxPrefix); n > 0; n--) {
      const hit = this.#byPrefix.get(digits.slice(0, n))?.find((b) => blockContains(b, digits));
      if (hit) return hit;
    }
    return undefined;
  }
}
