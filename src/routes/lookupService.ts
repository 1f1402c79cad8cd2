import type { Action } from '../../schemas/patterns';
import { asciiJson } from '../domain/asciiJson';
import { defaultCountryOf } from '../domain/indicators';
import { normalizeNumber } from '../domain/numbers';
import { verdictOf } from '../domain/verdict';
import { canSee } from '../domain/visibility';
import { RateLimiter } from '../http/rateLimit';
import type { PartnerRecord } from '../store/partners';
import type { AppDeps } from './deps';
import { viewerOfPartner } from './viewer';

/**
 * A lookup's answer as LookupResponse JSON text, all ASCII (asciiJson.ts: its length is its size
 * in bytes), or why its number was refused (the route answers 400 `invalid_number`).
 */
export type LookupOutcome = { ok: true; json: string } | { ok: false; message: string };

/** The rate-limit scope of lookups (one bucket per partner, whichever side answers). */
export const LOOKUP_LIMIT = 'lookup';

/**
 * Lookups from the in-memory matcher: no table scan per request. Shared by the Hono route and
 * the Node fast lane (http/lookupLane.ts), so both answer alike and draw on one rate limit. The
 * answer is written as JSON text straight from the matcher's columns: no Pattern objects.
 */
export class LookupService {
  /** Per partner and node: `HUB_RATE_LOOKUP_PER_SEC`, `HUB_RATE_LOOKUP_BURST`. */
  readonly limiter: RateLimiter;
  readonly #slots: number[] = [];
  readonly #actions: Action[] = [];

  constructor(private readonly deps: Pick<AppDeps, 'matcher' | 'allow' | 'tail' | 'audienceOf' | 'settings'>) {
    this.limiter = new RateLimiter(deps.settings.rateLimits.lookup.perSecond, deps.settings.rateLimits.lookup.burst);
  }

  /**
   * The verdict for `number` (any single-number form intake takes) and every visible pattern
   * covering it, longest prefix first: LookupResponse, as `JSON.stringify` would write it with
   * non-ASCII characters escaped.
   */
  answer(partner: PartnerRecord, number: string, country: string | undefined): LookupOutcome {
    const parsed = normalizeNumber(number, { country, defaultCountry: defaultCountryOf(partner.country) });
    if (!parsed.ok) return { ok: false, message: `${parsed.code}: ${parsed.message}` };
    const viewer = viewerOfPartner(partner);
    const { matcher, allow, tail, audienceOf } = this.deps;
    // `#slots` and `#actions` are reused: nothing here yields.
    const found = matcher.find(parsed.digits, this.#slots);
    const actions = this.#actions;
    actions.length = 0;
    let matches = '';
    for (let i = 0; i < found; i++) {
      const s = this.#slots[i]!;
      const tlp = matcher.tlpAt(s);
      if (!canSee(viewer, { tlp, audience: tlp === 'amber' ? audienceOf(matcher.keyAt(s)) : undefined })) continue;
      matches += (actions.length > 0 ? ',' : '') + matcher.patternJsonAt(s);
      actions.push(matcher.actionAt(s));
    }
    const allowed = allow.find(parsed.digits);
    const head = `{"number":"+${parsed.digits}","seq":${tail.position},"matches":[${matches}]`;
    // A certified legitimate number is never blocked, whatever was reported against it.
    if (allowed) {
      const { entryId: id, holder, certificate } = allowed;
      return { ok: true, json: `${head},"verdict":"allow","allowlisted":${asciiJson({ id, holder, certificate })}}` };
    }
    return { ok: true, json: `${head},"verdict":"${verdictOf(actions)}"}` };
  }
}
