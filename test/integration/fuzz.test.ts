import fc from 'fast-check';
import { getQueryParams } from 'hono/utils/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, TLPS } from '../../schemas/common';
import { IntakeResponse } from '../../schemas/indicators';
import { currentHead } from '../../src/store/feed';
import { startTestHub, type TestHub } from '../support/harness';

/**
 * Invariant 5: no input, however malformed, gives a 5xx or hurts the process. Bad input gets a
 * problem+json with a stable `code` and changes nothing; a batch with at least one item is never
 * sunk by its bad items. Runs on whichever database the harness picks.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** A request that takes this long means something waits (a long poll it should not do) or hangs. */
const REQUEST_BOUND_MS = 5000;

let t: TestHub;
let keys: { submitter: string; subscriber: string; both: string; operator: string };
/** Ids of patterns that exist, so pattern routes are also hit with real ids. */
const knownIds: string[] = [];

beforeAll(async () => {
  t = await startTestHub();
  const [submitter, subscriber, both] = await Promise.all([
    t.partner({ roles: ['submitter'], country: 'PK' }),
    t.partner({ roles: ['subscriber'], country: 'GB' }),
    t.partner({ roles: ['submitter', 'subscriber'], country: 'US' }),
  ]);
  keys = { submitter: submitter.key, subscriber: subscriber.key, both: both.key, operator: t.operatorKey };
  const res = await t.request('/v1/indicators', {
    method: 'POST',
    key: keys.submitter,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ indicators: [{ pattern: '+923001112233', category: 'wangiri' }, { pattern: '+92300999XXXX', category: 'irsf', tlp: 'red' }] }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as IntakeResponse;
  for (const r of body.results) for (const p of r.patterns ?? []) knownIds.push(p.id);
});

afterAll(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// Checks

async function send(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${init.method ?? 'GET'} ${path} took over ${REQUEST_BOUND_MS} ms`)), REQUEST_BOUND_MS);
  });
  try {
    return await Promise.race([t.request(path, init), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** No 5xx; every 4xx is problem+json with a string `code` and the same status. Returns the body text. */
async function expectClean(res: Response, label: string, method = 'GET'): Promise<string> {
  const text = await res.text();
  expect(res.status, `${label} -> ${res.status} ${text.slice(0, 400)}`).toBeLessThan(500);
  if (res.status >= 400 && method !== 'HEAD') {
    expect(res.headers.get('content-type') ?? '', `${label}: content-type of ${res.status}`).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as { code?: unknown; status?: unknown };
    expect(typeof problem.code, `${label}: problem code`).toBe('string');
    expect(problem.status).toBe(res.status);
  }
  return text;
}

/**
 * Submits and checks the intake contract: no 5xx; a refused request changes nothing; a 200 matches
 * the response schema with one result per item.
 */
async function submitAndCheck(body: RequestInit['body'], headers: Record<string, string>, key: string | undefined, label: string): Promise<{ status: number; body: IntakeResponse | null }> {
  const before = await currentHead(t.database.db);
  const res = await send('/v1/indicators', { method: 'POST', key, headers, body });
  const text = await expectClean(res, label, 'POST');
  if (res.status !== 200) {
    expect(await currentHead(t.database.db), `${label}: a refused request changes nothing`).toBe(before);
    return { status: res.status, body: null };
  }
  const parsed = IntakeResponse.safeParse(JSON.parse(text));
  expect(parsed.success, `${label}: answer matches the contract: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
  const answer = parsed.data!;
  const { created, corroborated, duplicate, rejected } = answer.summary;
  expect(created + corroborated + duplicate + rejected).toBe(answer.results.length);
  answer.results.forEach((r, i) => {
    expect(r.index).toBe(i);
    if (r.status === 'rejected') expect(r.error?.code).toBeTypeOf('string');
    else {
      expect(r.patterns?.length).toBeGreaterThan(0);
      if (knownIds.length < 50) knownIds.push(r.patterns![0]!.id);
    }
  });
  return { status: 200, body: answer };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const specialChars = [
  '\u0000', '\u0007', '\t', '\r', '\n', '\u00a0', '\u200b', '\u200d', '\u200e', '\u200f', '\u202e', '\u2028', '\ufeff', '\ufffd',
  '\u0301', '\ud83d\udcde', '\ud800', '\udfff', '٠', '١', '٩', '۳', '０', '９', '＋', '－', '（', '）', '%', '\\', '"', "'", ',', ';',
  '#', '&', '=', '?', '/', '@', ':', '..', '--', 'x', 'X', '*', '+', '-', '.', '(', ')', ' ', 'tel:', 'sip:', 'user=phone',
];

/** Short text from every corner of Unicode, lone surrogates and control characters included. */
const weirdText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...specialChars, ...'0123456789'), maxLength: 25 }),
);

/** Text shaped like what partners send: numbers, blocks, prefixes, ranges, URIs, with noise. */
const numberish = (() => {
  const lead = fc.constantFrom('+92300', '+92 300 ', '0092300', '011 92300', '0300', '+1 202 555', '+44 20 7', '+', '00', '+0', '+999', '', 'tel:+92300', 'sip:+92300', '+٩٢٣٠٠', '＋９２３００');
  const body = fc.string({ unit: fc.constantFrom(...'0123456789', ' ', '-', '.', 'x', 'X', '(', ')', '*', '٣', '\u200b'), maxLength: 14 });
  const tail = fc.constantFrom('', '*', 'XXXX', 'xxxx', ';user=phone', '@hub.example', ';ext=12', '\u0000', '%00');
  const one = fc.tuple(lead, body, tail).map(([a, b, c]) => a + b + c);
  return fc.oneof(
    { weight: 3, arbitrary: one },
    { weight: 1, arbitrary: fc.tuple(one, fc.constantFrom('-', '..', ' - ', '--', '...'), one).map(([a, s, b]) => a + s + b) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+92300${String(n).padStart(7, '0')}`) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 15, maxLength: 210 }).map((d) => `+${d}`) },
  );
})();

const dateish = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date(-8.64e15), max: new Date(8.64e15) }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2030-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '1970-01-01T00:00:00-00:00',
    '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:59:60Z', '2026-01-01T00:00:00+99:99',
    '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', '2026-01-01', 'now', '', '2026-01-01T00:00:00.1234567890123Z',
  ),
  weirdText,
);

/** Any JSON, shallow enough to stay fast. */
const json = fc.jsonValue({ maxDepth: 3 });

/** Patterns the hub accepts: numbers, blocks, prefixes and ranges in several notations. */
const validPattern = fc.oneof(
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+92300${String(n).padStart(7, '0')}`),
  fc.integer({ min: 0, max: 9999 }).map((n) => `+92 301 ${String(n).padStart(4, '0')} xxx`),
  fc.integer({ min: 10, max: 99_999 }).map((n) => `+92302${n}*`),
  fc.integer({ min: 0, max: 999 }).map((n) => `tel:+92-303-${String(n).padStart(3, '0')}-0000`),
  fc.integer({ min: 0, max: 99 }).map((n) => `+9230400${String(n).padStart(2, '0')}000-+9230400${String(n).padStart(2, '0')}999`),
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `0305${String(n).padStart(7, '0')}`),
);

/** Numbers in the notations partners use, for lookups. */
const validNumber = fc
  .tuple(fc.integer({ min: 0, max: 9_999_999 }), fc.constantFrom('+92300', '+92 300 ', '0092300', '0300', 'tel:+92300', '+1202555'))
  .map(([n, lead]) => lead + String(n).padStart(lead.startsWith('+1') ? 4 : 7, '0'));

/** Text that breaks storage more often than parsing: NUL, lone surrogates, odd dates. */
const nastyText = fc.oneof(
  weirdText,
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\\', 'e'.repeat(2001), "'; drop table patterns; --", '$1', '%s%n'),
);

/** A field of an item: mostly well-shaped, sometimes anything at all. */
const fieldOf = <T>(typical: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: typical }, { weight: 1, arbitrary: nastyText }, { weight: 1, arbitrary: json });

/** Every optional field of an indicator, each one possibly broken. */
const brokenFields = fc.record(
  {
    confidence: fieldOf(fc.oneof(fc.integer({ min: -5, max: 120 }), fc.double(), fc.constantFrom('50', ' 7 ', '1e2', '0x10', '', 'NaN', '9'.repeat(400)))),
    country: fieldOf(fc.constantFrom('PK', 'pk', 'US', 'GB', 'IN', 'ZZ', 'XX', 'AA', 'P1', 'ПК', '')),
    observedAt: fieldOf(dateish),
    validUntil: fieldOf(dateish),
    evidence: fieldOf(fc.string({ maxLength: 100 })),
    originCarrier: fieldOf(fc.string({ maxLength: 40 })),
    tlp: fieldOf(fc.constantFrom(...TLPS, 'RED', 'white', '')),
    ref: fieldOf(fc.string({ maxLength: 40 })),
    unparsable: fieldOf(fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);

/** ISO timestamps the contract accepts, from the edges of the calendar (year 0, year 9999, odd offsets). */
const edgeDate = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '0001-01-01T00:00:00Z', '1582-10-10T00:00:00Z', '1900-02-28T23:59:59.999-12:00',
    '1970-01-01T00:00:00Z', '2038-01-19T03:14:08Z', '2999-12-31T23:59:59+00:00', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59-14:00',
  ),
  fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => d.toISOString()),
);

/** Optional fields that all pass validation, carrying the values most likely to trip storage. */
const storableFields = fc.record(
  {
    confidence: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom('1', '100', ' 42 ')),
    country: fc.constantFrom('PK', 'pk'),
    observedAt: edgeDate,
    validUntil: edgeDate.filter((d) => d > '2100'),
    evidence: nastyText.filter((t) => t.length <= 2000),
    originCarrier: nastyText.filter((t) => t.length <= 200),
    tlp: fc.constantFrom(...TLPS),
    ref: nastyText.filter((t) => t.length <= 200),
    // Unknown fields are ignored, but the raw item is kept with them.
    note: fc.oneof(nastyText, json),
    // A field whose name is NUL: JSON allows it, PostgreSQL text and jsonb do not.
    [String.fromCharCode(0)]: nastyText,
  },
  { requiredKeys: [] },
);

/** One submitted item: many are acceptable with odd extras, so the odd values reach storage. */
const itemArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(validPattern, fc.constantFrom(...CATEGORIES), storableFields)
      .map(([pattern, category, fields]) => ({ pattern, category, ...fields })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fieldOf(fc.oneof(numberish, validPattern, nastyText)),
        fieldOf(fc.constantFrom(...CATEGORIES, 'WANGIRI', 'fraud', ' wangiri')),
        brokenFields,
        fc.boolean(),
        fc.boolean(),
      )
      .map(([pattern, category, fields, withPattern, withCategory]) => ({
        ...(withPattern ? { pattern } : {}),
        ...(withCategory ? { category } : {}),
        ...fields,
      })),
  },
  { weight: 1, arbitrary: json },
  // JSON.parse makes `__proto__` an own key; the server must treat it as data, not a prototype.
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"category":"wangiri"},"pattern":"+923001234567"}', '{"constructor":{"prototype":{"x":1}},"pattern":"+92300","category":"other"}').map((t) => JSON.parse(t) as unknown) },
);

/** A JSON envelope whose items are anything. */
const envelopeArb = fc.record(
  {
    indicators: fc.array(itemArb, { minLength: 0, maxLength: 12 }),
    extra: json,
  },
  { requiredKeys: ['indicators'] },
);

const csvCell = fc.oneof(fc.constantFrom(''), numberish, nastyText, fc.constantFrom(...CATEGORIES), fc.string({ maxLength: 10 }).map((s) => `"${s}"`));
/** A CSV whose rows mostly carry a valid pattern and category, with anything in the other columns. */
const csvValidRows = fc
  .tuple(
    fc.shuffledSubarray(['confidence', 'country', 'observedAt', 'validUntil', 'tlp', 'evidence', 'originCarrier', 'ref', 'x'], { minLength: 0 }),
    fc.array(fc.tuple(validPattern, fc.constantFrom(...CATEGORIES), fc.array(csvCell, { maxLength: 9 })), { minLength: 1, maxLength: 8 }),
  )
  .map(([extra, rows]) => [['pattern', 'category', ...extra].join(','), ...rows.map(([p, c, cells]) => [p, c, ...cells].join(','))].join('\n'));
const csvArb = fc.oneof(
  { weight: 2, arbitrary: csvValidRows },
  { weight: 1, arbitrary: fc.oneof(weirdText, fc.string({ unit: fc.constantFrom(',', '"', '\n', '\r', 'pattern', 'a', ' ', '\ufeff'), maxLength: 40 })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.shuffledSubarray(['pattern', 'category', 'confidence', 'country', 'observedAt', 'validUntil', 'tlp', 'evidence', 'ref', ' pattern ', '"pattern"', 'x'], { minLength: 1 }),
        fc.array(fc.array(csvCell, { maxLength: 8 }), { maxLength: 10 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
      )
      .map(([header, rows, eol, bom]) => (bom ? '\ufeff' : '') + [header.join(','), ...rows.map((r) => r.join(','))].join(eol)),
  },
);

const ndjsonArb = fc
  .tuple(
    fc.array(fc.oneof(itemArb.map((i) => JSON.stringify(i) ?? ''), weirdText, fc.constant(''), fc.constant('{'), fc.constant('[]')), { maxLength: 10 }),
    fc.constantFrom('\n', '\r\n', '\n\n'),
  )
  .map(([lines, eol]) => lines.join(eol));

/** encodeURIComponent, except that a lone surrogate becomes an escape of invalid UTF-8 instead of a throw. */
function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp >= 0xd800 && cp <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}

/** A header value the fetch API lets through: visible ASCII, Latin-1 and tabs, never CR/LF/NUL. */
const headerValue = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c)),
  maxLength: 220,
});

const contentTypeArb = fc.oneof(
  fc.constantFrom(
    'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/csv', 'text/csv; header=present', 'application/x-ndjson',
    'application/ndjson', 'application/jsonl', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded',
    'application/octet-stream', ';', '', 'application/json;;;', '*/*',
  ),
  headerValue,
);

/** An Authorization header: a real key, a broken one, or noise. */
const authArb = (good: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${good}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `bearer  ${good}  `, `Bearer ${good}x`, `Bearer ${good.slice(0, 20)}`, 'Bearer ' + 'a'.repeat(300)) },
    { weight: 1, arbitrary: headerValue },
  );

// ---------------------------------------------------------------------------------------------
// Intake

describe('fuzzed intake never gives a 5xx', () => {
  it('arbitrary JSON values and raw text as application/json', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(json.map((v) => JSON.stringify(v)), weirdText, fc.constantFrom('', '{', '{"indicators":', '{"indicators":null}', '[]', 'null', '{"indicators":{}}')), async (body) => {
        const r = await submitAndCheck(body, { 'content-type': 'application/json' }, keys.submitter, 'json');
        if (r.status === 200) expect(body).toMatch(/indicators/);
      }),
      { numRuns: RUNS },
    );
  });

  it('envelopes of arbitrary items: one bad item never sinks the batch', async () => {
    await fc.assert(
      fc.asyncProperty(envelopeArb, fc.constantFrom(keys.submitter, keys.both), async (envelope, key) => {
        const r = await submitAndCheck(JSON.stringify(envelope), { 'content-type': 'application/json' }, key, 'envelope');
        if (envelope.indicators.length === 0) expect(r.status).toBe(400);
        else {
          expect(r.status, 'a non-empty batch is answered per item').toBe(200);
          expect(r.body!.results).toHaveLength(envelope.indicators.length);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary text/csv bodies', async () => {
    await fc.assert(
      fc.asyncProperty(csvArb, async (body) => {
        await submitAndCheck(body, { 'content-type': 'text/csv' }, keys.submitter, 'csv');
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary application/x-ndjson bodies: a bad line is a rejected item', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonArb, async (body) => {
        const r = await submitAndCheck(body, { 'content-type': 'application/x-ndjson' }, keys.submitter, 'ndjson');
        const lines = body.split('\n').filter((l) => l.trim() !== '');
        if (lines.length > 0 && lines.length <= 10_000) expect(r.status).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });

  it('random content types, Idempotency-Keys, Authorization headers and raw bytes', async () => {
    const bodyArb = fc.oneof(
      envelopeArb.map((e) => JSON.stringify(e) as RequestInit['body']),
      csvArb,
      ndjsonArb,
      fc.uint8Array({ maxLength: 200 }),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(
        bodyArb,
        fc.option(contentTypeArb, { nil: undefined }),
        fc.option(headerValue, { nil: undefined }),
        authArb(keys.submitter),
        async (body, contentType, idempotencyKey, authorization) => {
          const headers: Record<string, string> = { authorization };
          if (contentType !== undefined) headers['content-type'] = contentType;
          if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
          const first = await submitAndCheck(body, headers, undefined, 'headers');
          // The same request again: a replay when keyed, and never a 5xx either way.
          if (idempotencyKey !== undefined && first.status === 200) {
            const again = await submitAndCheck(body, headers, undefined, 'headers replay');
            expect(again.status).toBe(200);
            expect(again.body).toEqual(first.body);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('roles and wrong methods on intake', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.constantFrom(keys.subscriber, keys.operator, keys.submitter),
        envelopeArb,
        async (method, key, envelope) => {
          const init: RequestInit & { key?: string } = { method, key, headers: { 'content-type': 'application/json' } };
          if (method !== 'GET' && method !== 'HEAD') init.body = JSON.stringify(envelope);
          const res = await send('/v1/indicators', init);
          await expectClean(res, `${method} intake`, method);
          if (method === 'POST' && key !== keys.submitter) expect(res.status).toBe(403);
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Pull

const numericEdge = fc.oneof(
  fc.constantFrom(
    '0', '-1', '1', '2', '3', '999', '1000', '10000', '10001', '1e3', '1e400', '-1e400', '-0', 'NaN', 'Infinity', '-Infinity', '0x10', '0b11',
    '9007199254740993', '99999999999999999999', '1.5', ' 7 ', '', '٣', '１', 'null', 'true', '[]', '{}', '%', '%zz', '%E0%A4%A',
  ),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double().map(String),
);

const listValue = fc.array(fc.oneof(fc.constantFrom('PK', 'pk', 'GB', 'US', 'XX', ...CATEGORIES, 'block', 'flag', ''), fc.string({ maxLength: 6 })), { maxLength: 5 }).map((l) => l.join(','));

const queryValue = fc.oneof(numericEdge, listValue, weirdText, numberish);
const queryKey = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('since', 'limit', 'wait', 'country', 'category', 'minConfidence', 'action', 'number', 'filter', 'since[]', '__proto__', 'constructor') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** Values of `wait` that would make the server long-poll (1..60 s); the fuzzer replaces them. */
function longPolls(value: string): boolean {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 60;
}

/** Mostly a well-formed value, sometimes an edge or garbage one. */
const mostly = (valid: fc.Arbitrary<string>, odd: fc.Arbitrary<string>) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: odd });

/** The parameters the pull endpoints know, each mostly valid and sometimes an edge value. */
const knownParams = fc.record(
  {
    since: mostly(fc.integer({ min: 0, max: 60 }).map(String), numericEdge),
    limit: mostly(fc.integer({ min: 1, max: 2000 }).map(String), numericEdge),
    wait: mostly(fc.constantFrom('0', '00', '-0', ' 0 '), numericEdge),
    country: mostly(fc.constantFrom('PK', 'pk,gb', 'US,PK,IN', ''), listValue),
    category: mostly(fc.constantFrom(...CATEGORIES, 'wangiri,irsf', 'robocall,,other'), listValue),
    minConfidence: mostly(fc.integer({ min: 0, max: 100 }).map(String), numericEdge),
    action: mostly(fc.constantFrom('block', 'flag'), weirdText),
    number: mostly(validPattern, fc.oneof(numberish, weirdText)),
  },
  { requiredKeys: ['since'] },
);

/** A query string, percent-encoded properly or written raw (malformed escapes and all). */
const queryArb = fc
  .tuple(
    knownParams.map((p) => Object.entries(p)),
    fc.oneof({ weight: 2, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 4 }) }),
    fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    fc.constantFrom('&', '&', '&', '&&', ';'),
  )
  .map(([known, random, rawFlags, sep]) =>
    [...known, ...random]
      .map(([k, v], i) => {
        const value = k === 'wait' && longPolls(v) ? '0' : v;
        return rawFlags[i % rawFlags.length] ? `${k.replace(/[#&=?]/g, '')}=${value.replace(/[#&?]/g, '')}` : `${encode(k)}=${encode(value)}`;
      })
      .join(sep),
  );

/** Whether the server, reading this URL as Hono does, would long-poll. */
function wouldLongPoll(url: string): boolean {
  // As the server sees it: the URL parser first drops tabs and newlines, then Hono decodes.
  const values = (getQueryParams(new URL(`http://localhost${url}`).href, 'wait') as string[] | undefined) ?? [];
  return values.length === 1 && longPolls(values[0]!);
}

describe('fuzzed pulls never give a 5xx', () => {
  // Mostly keys that may read, so most requests get past auth to the query parsing and the store.
  const readerKey = () =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(keys.subscriber, keys.both) },
      { weight: 1, arbitrary: fc.constantFrom(keys.operator, keys.submitter, 'not-a-key-but-long-enough') },
    );

  it('GET /v1/feed/changes with random queries', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, readerKey(), async (query, key) => {
        const url = `/v1/feed/changes?${query}`;
        fc.pre(!wouldLongPoll(url));
        const res = await send(url, { key });
        const text = await expectClean(res, url);
        if (res.status === 200) {
          const page = JSON.parse(text) as { changes: { seq: number }[]; next: number; hasMore: boolean };
          expect(Array.isArray(page.changes)).toBe(true);
          expect(typeof page.next).toBe('number');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('GET /v1/feed/snapshot with random queries, Accept and If-None-Match', async () => {
    await fc.assert(
      fc.asyncProperty(
        queryArb,
        readerKey(),
        fc.option(fc.oneof(fc.constantFrom('application/x-ndjson', 'application/json', '*/*', 'text/html', 'application/x-ndjson;q=0'), headerValue), { nil: undefined }),
        fc.option(fc.oneof(fc.constantFrom('*', '"0-x"', 'W/"1"', ''), headerValue), { nil: undefined }),
        async (query, key, accept, ifNoneMatch) => {
          const headers: Record<string, string> = {};
          if (accept !== undefined) headers.accept = accept;
          if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
          const url = `/v1/feed/snapshot?${query}`;
          const res = await send(url, { key, headers });
          const text = await expectClean(res, url);
          if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('ndjson')) {
            // The stream ends cleanly: every line is JSON, the first names the seq.
            const lines = text.split('\n').filter(Boolean);
            expect(typeof (JSON.parse(lines[0]!) as { seq: unknown }).seq).toBe('number');
            for (const l of lines) JSON.parse(l);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('GET /v1/lookup with random numbers and countries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 1, arbitrary: queryArb },
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.oneof(validNumber, validNumber, validPattern, numberish, weirdText), fc.option(mostly(fc.constantFrom('PK', 'us', 'GB', 'XX', 'ZZ'), weirdText), { nil: undefined }))
              .map(([n, c]) => `number=${encode(n)}${c === undefined ? '' : `&country=${encode(c)}`}`),
          },
        ),
        readerKey(),
        async (query, key) => {
          const res = await send(`/v1/lookup?${query}`, { key });
          const text = await expectClean(res, `lookup ${query}`);
          if (res.status === 200) expect(['block', 'flag', 'allow']).toContain((JSON.parse(text) as { verdict: string }).verdict);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random paths under /v1/patterns/ and random methods anywhere', async () => {
    const segment = fc.oneof(
      fc.uuid(),
      fc.constantFrom(...knownIds, '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '..', '.', '%', '%00', '%zz', '%2F', '%E0%A4%A', 'null', ''),
      weirdText.map(encode),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-{}'), maxLength: 40 }),
    );
    const pathArb = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(segment, fc.constantFrom('', '/history', '/', '/history/x', '//')).map(([s, tail]) => `/v1/patterns/${s}${tail}`) },
      { weight: 1, arbitrary: fc.constantFrom('/v1/partners', '/v1/feed/ws', '/v1/', '/v1', '/', '/openapi.json', '/metrics', '/healthz', '/readyz', '/v1/feed/changes', '/v1/lookup', '//v1//patterns') },
    );
    await fc.assert(
      fc.asyncProperty(
        pathArb,
        fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        readerKey(),
        fc.option(fc.oneof(json.map((v) => JSON.stringify(v)), weirdText), { nil: undefined }),
        async (path, method, key, body) => {
          fc.pre(!wouldLongPoll(path));
          const init: RequestInit & { key?: string } = { method, key, headers: { 'content-type': 'application/json' } };
          if (method !== 'GET' && method !== 'HEAD' && body !== undefined) init.body = body;
          const res = await send(path, init);
          await expectClean(res, `${method} ${path}`, method);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('after the fuzzing', () => {
  it('the hub is ready and a valid submission still works', async () => {
    const ready = await send('/readyz');
    expect(ready.status).toBe(200);
    const number = `+92301${String(Date.now() % 10_000_000).padStart(7, '0')}`;
    const r = await submitAndCheck(JSON.stringify({ indicators: [{ pattern: number, category: 'robocall', confidence: 70 }] }), { 'content-type': 'application/json' }, keys.both, 'final');
    expect(r.status).toBe(200);
    expect(r.body!.results[0]!.status).toBe('created');
    const seen = await send(`/v1/lookup?number=${encodeURIComponent(number)}`, { key: keys.both });
    expect(seen.status).toBe(200);
    const snapshot = await send('/v1/feed/snapshot', { key: keys.both });
    expect(snapshot.status).toBe(200);
    const body = (await snapshot.json()) as { seq: number; patterns: { key: string }[] };
    expect(body.seq).toBeGreaterThanOrEqual(r.body!.seq);
    expect(body.patterns.map((p) => p.key)).toContain(number);
  });
});
