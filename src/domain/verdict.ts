import type { Action } from '../../schemas/patterns';

/** A lookup's answer from the actions of the patterns that cover the number: block beats flag; nothing is allow. */
export function verdictOf(actions: readonly Action[]): 'block' | 'flag' | 'allow' {
  if (actions.length === 0) return 'allow';
  return actions.includes('block') ? 'block' : 'flag';
}

/** {@link verdictOf} the matching patterns. */
export function decideVerdict(matches: readonly { action: Action }[]): 'block' | 'flag' | 'allow' {
  return verdictOf(matches.map((m) => m.action));
}
