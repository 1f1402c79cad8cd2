import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CATEGORIES, type Category } from '../../../schemas/common';
import type { FeedFilter } from '../../../schemas/feed';
import { UsageError } from './exitCodes';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes: where the hub is, the key, retries, help. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  retries: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** The feed filter flags (tail, export, mirror). */
export const FILTER_OPTIONS = {
  country: { type: 'string', multiple: true },
  category: { type: 'string', multiple: true },
  'min-confidence': { type: 'string' },
  action: { type: 'string' },
} as const satisfies Options;

/** The help text of the connection and filter flags, for the commands' --help. */
export const CONNECTION_HELP = `Connection:
  --url URL          the hub (env HUB_URL; default http://localhost:8787)
  --key KEY          API key (env HUB_API_KEY; prefer the env: flags show in ps)
  --retries N        attempts per request, the first included (0 < N; 429/503/network errors)
  -h, --help         this help`;

export const FILTER_HELP = `Filter (every flag narrows; lists are comma-separated or repeated):
  --country CC[,CC]      ISO 3166-1 alpha-2 codes
  --category C[,C]       ${CATEGORIES.join(', ')}
  --min-confidence N     0..100
  --action block|flag`;

/** node:util parseArgs, strict, with its errors turned into usage errors (exit 2). */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Splits repeated and comma-separated list flags into one list. */
export function listOf(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** An integer flag within [min, max], or undefined when absent. */
export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

/** An ISO country code flag, upper-cased. */
export function countryFlag(name: string, value: string): string {
  if (!/^[A-Za-z]{2}$/.test(value)) throw new UsageError(`--${name} takes an ISO 3166-1 alpha-2 code (e.g. PK), not "${value}"`);
  return value.toUpperCase();
}

/** A category flag, checked against the hub's categories. */
export function categoryFlag(name: string, value: string): Category {
  if (!(CATEGORIES as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${CATEGORIES.join(', ')}, not "${value}"`);
  return value as Category;
}

/** Builds the feed filter from the filter flags. */
export function filterFrom(values: { country?: string[]; category?: string[]; 'min-confidence'?: string; action?: string }): FeedFilter {
  const filter: FeedFilter = {};
  const countries = listOf(values.country).map((c) => countryFlag('country', c));
  if (countries.length) filter.country = countries;
  const categories = listOf(values.category).map((c) => categoryFlag('category', c));
  if (categories.length) filter.category = categories;
  const min = intFlag('min-confidence', values['min-confidence'], 0, 100);
  if (min !== undefined) filter.minConfidence = min;
  if (values.action !== undefined) {
    if (values.action !== 'block' && values.action !== 'flag') throw new UsageError(`--action must be block or flag, not "${values.action}"`);
    filter.action = values.action;
  }
  return filter;
}

/** Exactly the positional arguments `names` lists (named in the message when one is missing or extra). */
export function positionals(given: string[], names: string[]): string[] {
  if (given.length < names.length) throw new UsageError(`missing ${names.slice(given.length).join(' ')}`);
  if (given.length > names.length) throw new UsageError(`unexpected argument "${given[names.length]}"`);
  return given;
}
