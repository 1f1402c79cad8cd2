import type { Action } from '../../schemas/patterns';

/** A lookup's answer from the patterns that cover the number: block beats flag; nothing is allow. */
export function decideVerdict(matches: readonly { action: Action }[]): 'block' | 'flag' | 'allow' {
  if (matches.length === 0) return 'allow';
  return matches.some((m) => m.action === 'block') ? 'block' : 'flag';
}
