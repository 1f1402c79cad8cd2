import type { Block } from '../domain/blocks';
import { normalizePattern, type NormalizedPattern } from '../domain/numbers';
import { HubError } from '../http/errors';

/** Normalizes a pattern given to an operator endpoint, or answers 400 `invalid_pattern` with the reason. */
export function normalizeOrRefuse(pattern: string, opts: { country?: string | undefined; defaultCountry?: string | undefined }): NormalizedPattern & { blocks: Block[] } {
  const normalized = normalizePattern(pattern, opts);
  if (!normalized.ok) throw new HubError('invalid_pattern', `${normalized.code}: ${normalized.message}`);
  return normalized.value;
}
