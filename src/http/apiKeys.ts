import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new API key: 256 random bits, with a prefix that makes leaked keys easy to scan for. */
export function generateApiKey(): string {
  return `fph_${randomBytes(32).toString('base64url')}`;
}

/**
 * The stored form of a key. Keys are long random strings, not passwords, so one SHA-256 is
 * enough to make the stored value useless to a thief while keeping each request cheap.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two key hashes without leaking where they differ. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
