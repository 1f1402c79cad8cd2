import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../schemas/common';
import type { Db } from '../db/client';
import { findPartnerByKeyHash, type PartnerRecord } from '../store/partners';
import { hashApiKey, sameHash } from './apiKeys';
import type { AppEnv } from './env';
import { HubError } from './errors';

/**
 * Caches key lookups briefly: every lookup request is authenticated, and the DB is not a cache.
 * Entries are found by the presented key itself (held in memory only, as every request holds
 * it), so a request with a fresh entry costs one map read: no hash, no await.
 */
export class PartnerKeyCache {
  readonly #entries = new Map<string, { partner: PartnerRecord | null; until: number }>();
  constructor(private readonly db: Db, private readonly ttlMs = 5000, private readonly maxEntries = 10_000) {}

  /** The cached answer for a presented key: its partner, null for a key known to be invalid, undefined when not cached. */
  peek(key: string, now = Date.now()): PartnerRecord | null | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.until > now ? hit.partner : undefined;
  }

  /** The enabled partner holding this key, or null. */
  async find(key: string, now = Date.now()): Promise<PartnerRecord | null> {
    const cached = this.peek(key, now);
    if (cached !== undefined) return cached;
    const hash = hashApiKey(key);
    const found = await findPartnerByKeyHash(this.db, hash);
    const partner = found && sameHash(found.keyHash, hash) ? withoutHash(found) : null;
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, { partner, until: now + this.ttlMs });
    return partner;
  }

  /** Forgets everything (after a partner was changed on this node). */
  clear(): void {
    this.#entries.clear();
  }
}

function withoutHash(p: PartnerRecord & { keyHash: string }): PartnerRecord {
  const { keyHash: _drop, ...rest } = p;
  return rest;
}

/** Reads the bearer key from an Authorization header; null when absent or malformed. */
export function bearerKey(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9_\-.~+/=]{16,256})\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Resolves a presented API key to its partner, or throws 401. */
export async function authenticateKey(cache: PartnerKeyCache, key: string | null): Promise<PartnerRecord> {
  if (!key) throw new HubError('unauthorized', 'send Authorization: Bearer <api key>', { headers: { 'www-authenticate': 'Bearer' } });
  const partner = await cache.find(key);
  if (!partner) throw new HubError('unauthorized', 'the API key is not valid', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  return partner;
}

/** Requires a valid API key holding at least one of `roles` (none given: any role). */
export function requireRole(cache: PartnerKeyCache, ...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const key = bearerKey(c.req.header('authorization'));
    // A cached key is answered without an await; anything else goes the long way (and may throw 401).
    const partner = (key !== null && cache.peek(key)) || (await authenticateKey(cache, key));
    if (roles.length > 0 && !roles.some((r) => partner.roles.includes(r))) {
      throw new HubError('forbidden', `this endpoint needs the role ${roles.join(' or ')}`);
    }
    c.set('partner', partner);
    await next();
  };
}
