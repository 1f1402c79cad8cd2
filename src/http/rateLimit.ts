import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';
import { HubError } from './errors';

/** A token bucket per key: `perSecond` sustained, `burst` at once. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(readonly perSecond: number, readonly burst: number, private readonly clock: () => number = () => Date.now()) {}

  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.clock();
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    if (this.#buckets.size > 100_000) this.#buckets.clear(); // bounded memory; forgetting only forgives
    return Math.ceil((1 - b.tokens) / this.perSecond);
  }
}

/** The bucket of a partner's requests of one scope (`intake`, `lookup`). */
export function limitKey(scope: string, partnerId: string): string {
  return `${scope}:${partnerId}`;
}

/**
 * Limits the authenticated partner (after auth): over the limit is 429 `rate_limited` with
 * Retry-After. Limits are per hub node.
 */
export function rateLimit(limiter: RateLimiter, scope: string): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const wait = limiter.take(limitKey(scope, c.get('partner').id));
    if (wait > 0) {
      throw new HubError('rate_limited', `at most ${limiter.perSecond} ${scope} requests per second (burst ${limiter.burst}); retry in ${wait} s`, {
        headers: { 'retry-after': String(wait) },
      });
    }
    await next();
  };
}
