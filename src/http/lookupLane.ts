import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOOKUP_LIMIT, type LookupService } from '../routes/lookupService';
import type { PartnerKeyCache } from './auth';
import { bearerKey } from './auth';
import { limitKey } from './rateLimit';
import { requestIdOf, type RequestRecorder } from './requestLog';

/** `number=` (a `+` sent as %2B, or none) then digits only: E.164 or national digits, nothing to decode. */
const NUMBER = /^(?:%2[Bb])?[0-9]{1,30}$/;
const COUNTRY = /^[A-Za-z]{2}$/;
const PATH = '/v1/lookup?';

export interface LookupLaneDeps {
  keys: PartnerKeyCache;
  lookups: LookupService;
  requests: RequestRecorder;
}

/** `number` and, at most once, `country`, both plain; null for anything else (which the route then reads). */
function plainQuery(url: string): { number: string; country: string | undefined } | null {
  let number: string | undefined;
  let country: string | undefined;
  for (let at = PATH.length; ; ) {
    const amp = url.indexOf('&', at);
    const end = amp < 0 ? url.length : amp;
    if (number === undefined && url.startsWith('number=', at)) {
      const value = url.slice(at + 7, end);
      if (!NUMBER.test(value)) return null;
      number = value.charCodeAt(0) === 37 ? `+${value.slice(3)}` : value;
    } else if (country === undefined && url.startsWith('country=', at)) {
      const value = url.slice(at + 8, end);
      if (!COUNTRY.test(value)) return null;
      country = value.toUpperCase();
    } else return null;
    if (amp < 0) return number === undefined ? null : { number, country };
    at = amp + 1;
  }
}

/**
 * The Authorization and X-Request-Id values, read from Node's raw header list: `req.headers`
 * builds an object of every header on first use, which the lane has no other need for. Null when
 * either is sent twice (how to join or pick them is left to the route).
 */
function laneHeaders(raw: string[]): { authorization: string | undefined; requestId: string | undefined } | null {
  let authorization: string | undefined;
  let requestId: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (authorization !== undefined) return null;
      authorization = raw[i + 1]!;
    } else if (name.length === 12 && name.toLowerCase() === 'x-request-id') {
      if (requestId !== undefined) return null;
      requestId = raw[i + 1]!;
    }
  }
  return { authorization, requestId };
}

/**
 * The Node fast lane of GET /v1/lookup: the request switches send by the million (a plain number,
 * a key this node already knows, within its rate limit, a number that normalizes) is answered
 * straight from Node's request, without building a WHATWG Request, a Hono context and its
 * middleware chain. Same answer, headers, request id, log line and duration metric as the route,
 * from the same service and rate limit. Anything else (another form of the query, an unknown or
 * uncached key, a partner over its limit, a number that is refused, any error) returns false
 * untouched and goes to the Hono app, which answers it as it answers everything: the lane only
 * ever takes requests the route would answer 200. test/integration/lookupLane.test.ts holds the
 * two to the same answers.
 */
export function lookupLane(deps: LookupLaneDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const answered = deps.requests.seriesOf('GET', '/v1/lookup', 200);
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PATH)) return false;
    const started = performance.now();
    const query = plainQuery(url);
    if (!query) return false;
    const headers = laneHeaders(req.rawHeaders);
    if (!headers) return false;
    const key = bearerKey(headers.authorization);
    const partner = key === null ? undefined : deps.keys.peek(key);
    if (!partner) return false;
    const outcome = deps.lookups.answer(partner, query.number, query.country);
    if (!outcome.ok) return false;
    // The token is taken last, so a request the route answers is charged once, by whoever answers it.
    // Over the limit: the route takes its own token, finds none and answers 429.
    if (deps.lookups.limiter.take(limitKey(LOOKUP_LIMIT, partner.id)) > 0) return false;
    const body = outcome.json;
    const reqId = requestIdOf(headers.requestId);
    try {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-request-id': reqId });
    } catch {
      return false; // an id Node will not send: nothing was written, the route answers
    }
    // ASCII (LookupOutcome): one byte per character, copied to the socket as is.
    res.end(body, 'latin1');
    deps.requests.record({ reqId, method: 'GET', path: '/v1/lookup', route: '/v1/lookup', status: 200, ms: performance.now() - started, partnerId: partner.id }, answered);
    return true;
  };
}
