/**
 * The Node fast lane of GET /v1/lookup answers exactly as the Hono route does (status, type,
 * body byte for byte), over a real socket: for every kind of partner, every TLP, blocks, prefixes,
 * an allowlisted number, and every request it must pass on (other number forms, refused numbers,
 * unknown keys, odd queries). Which side answered is recorded, so the test knows the lane took
 * the plain requests. The rate limit is one for both sides.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeResponse } from '../../schemas/indicators';
import { LookupResponse } from '../../schemas/lookup';
import { lookupLane } from '../../src/http/lookupLane';
import { json, startTestHub, type TestHub } from '../support/harness';

const BURST = 100;
const HOLDER = 'Société Générale — Zürich 銀行';
let t: TestHub;
let server: Server;
let base: string;
/** For each request the test server saw: whether the lane answered it. */
const taken: boolean[] = [];
type Who = { id: string; key: string };
const who: Record<string, Who> = {};

beforeAll(async () => {
  t = await startTestHub({ rateLimits: { intake: { perSecond: 10_000, burst: 10_000 }, lookup: { perSecond: 1, burst: BURST } } });
  who.submitter = await t.partner({ roles: ['submitter', 'subscriber'], country: 'PK' });
  who.member = await t.partner({ roles: ['subscriber'], country: 'GB' });
  who.outsider = await t.partner({ roles: ['subscriber'], country: 'US' });
  who.operator = await t.partner({ roles: ['operator', 'subscriber'], country: 'FR' });
  expect((await t.request('/v1/communities', { ...json({ name: 'lane', members: [who.submitter.id, who.member.id] }), key: t.operatorKey })).status).toBe(201);
  const res = await t.request('/v1/indicators', {
    ...json({
      indicators: [
        { pattern: '+92300700*', category: 'irsf', confidence: 40 },
        { pattern: '+92300700XXXX', category: 'wangiri', confidence: 45, tlp: 'amber' },
        { pattern: '+923007001234', category: 'scam_call_center', confidence: 90, tlp: 'red' },
        { pattern: '+923007005555', category: 'robocall', confidence: 95, tlp: 'clear' },
        { pattern: '+447700900123', category: 'robocall', confidence: 60 },
        { pattern: '+1202555*', category: 'robocall', confidence: 50 },
      ],
    }),
    key: who.submitter.key,
  });
  const body = (await res.json()) as IntakeResponse;
  expect(body.summary.rejected).toBe(0);
  const allow = await t.request('/v1/allowlist', { ...json({ pattern: '+923007005555', holder: 'Bank "A"', certificate: 'cert-1' }), key: t.operatorKey });
  expect(allow.status).toBe(201);
  // A holder past ASCII: the answer escapes it, so its length is still its size in bytes.
  const accented = await t.request('/v1/allowlist', { ...json({ pattern: '+447700900777', holder: HOLDER, certificate: 'cert-ü' }), key: t.operatorKey });
  expect(accented.status).toBe(201);
  await t.hub.tail.waitFor(body.seq - 1, 5000);

  const lane = lookupLane(t.hub);
  const app = getRequestListener(t.hub.app.fetch, { hostname: '127.0.0.1' });
  server = createServer((req, res) => {
    const took = lane(req, res);
    taken.push(took);
    if (!took) void app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
});

/** One lookup, by the Hono app in process and over the socket; returns the socket's answer and whether the lane took it. */
async function both(query: string, key: string, headers: Record<string, string> = {}) {
  const inProcess = await t.request(`/v1/lookup?${query}`, { key, headers });
  const before = taken.length;
  const overSocket = await fetch(`${base}/v1/lookup?${query}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const want = { status: inProcess.status, type: inProcess.headers.get('content-type'), body: await inProcess.text() };
  const body = Buffer.from(await overSocket.arrayBuffer());
  const got = { status: overSocket.status, type: overSocket.headers.get('content-type'), body: body.toString('utf8') };
  // The length the socket announced is the size of what came.
  expect(overSocket.headers.get('content-length'), query).toBe(String(body.length));
  return { want, got, lane: taken[before]!, requestId: overSocket.headers.get('x-request-id') };
}

const PLAIN = [
  'number=%2B923007001234', // every pattern of the +92300700 family, red included for operators
  'number=%2B923007009999', // the amber block and the open prefix
  'number=%2B923007005555', // allowlisted
  'number=%2B447700900777', // allowlisted, its holder past ASCII
  'number=%2B447700900123',
  'number=%2B12025550123',
  'number=%2B923009999999', // nothing
  'number=%2B923007001234&country=pk',
  'country=GB&number=07700900123', // national digits, the country given
  'number=03007001234', // national digits in the partner's country (PK for the submitter; others refuse)
];
const PASSED_ON = [
  'number=%2B92%20300%20700%201234', // spaces
  'number=%2B92-300-700-1234',
  'number=tel%3A%2B923007001234',
  'number=+923007001234', // a raw + is a space in a query
  'number=%2B9230070', // too short: 400 invalid_number
  'number=%2B999123456789', // unknown calling code
  'number=%2B923007001234&number=%2B923007001234', // twice: 400 invalid_request
  'number=%2B923007001234&country=XYZ',
  'number=%2B923007001234&extra=1',
  'number=%2B923007001234&', // an empty parameter
  '&number=%2B923007001234',
  'numbers=%2B923007001234',
  'number=%2B923007001234&country=GB&country=GB',
  'number=',
  '',
];

describe('lookup fast lane', () => {
  it('answers plain lookups itself, exactly as the route does, for every kind of partner', async () => {
    for (const [name, p] of Object.entries(who)) {
      await t.request('/v1/lookup?number=%2B923009999999', { key: p.key }); // the route puts the key in the cache
      for (const query of PLAIN) {
        const r = await both(query, p.key);
        expect(r.got, `${name} ${query}`).toEqual(r.want);
        // A number the partner's country cannot read is refused by the route; everything else is the lane's.
        expect(r.lane, `${name} ${query}`).toBe(r.want.status === 200);
        expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
        if (r.want.status === 200) {
          // The JSON written from the matcher's columns is the contract's, as JSON.stringify would
          // write it with every character past ASCII escaped.
          const answer = JSON.parse(r.got.body) as LookupResponse;
          expect(LookupResponse.safeParse(answer).success, r.got.body).toBe(true);
          expect(r.got.body).toMatch(/^[\x20-\x7e]*$/);
          expect(JSON.stringify(answer).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).toBe(r.got.body);
          if (query.includes('447700900777')) expect(answer.allowlisted?.holder).toBe(HOLDER);
        }
      }
    }
  });

  it('hands every other request to the route, which answers it as always', async () => {
    for (const query of PASSED_ON) {
      const r = await both(query, who.member!.key);
      expect(r.got, query).toEqual(r.want);
      expect(r.lane, query).toBe(false);
    }
    const unknown = await both('number=%2B923007001234', 'fph_not-a-key-of-anyone-at-all');
    expect(unknown.got).toEqual(unknown.want);
    expect(unknown.got.status).toBe(401);
    expect(unknown.lane).toBe(false);
    const post = await fetch(`${base}/v1/lookup?number=%2B923007001234`, { method: 'POST', headers: { authorization: `Bearer ${who.member!.key}` } });
    expect(post.status).toBe(404);
    expect(taken.at(-1)).toBe(false);
  });

  it('echoes the caller request id, as the route does', async () => {
    const r = await both('number=%2B447700900123', who.member!.key, { 'x-request-id': 'switch-7-call-42' });
    expect(r.lane).toBe(true);
    expect(r.requestId).toBe('switch-7-call-42');
  });

  it('reads the key and the request id whatever the case of their names, and passes on a request that sends either twice', async () => {
    const key = who.member!.key;
    // node:http sends header names as given and an array value as one line per element.
    const raw = (headers: Record<string, string | string[]>) =>
      new Promise<{ status: number; requestId: string | undefined; body: string }>((resolve, reject) => {
        const req = request(`${base}/v1/lookup?number=%2B447700900123`, { headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string | undefined, body }));
        });
        req.on('error', reject).end();
      });
    const at = taken.length;
    const upper = await raw({ AUTHORIZATION: `Bearer ${key}`, 'X-Request-ID': 'Switch-7' });
    expect([upper.status, upper.requestId, taken[at]]).toEqual([200, 'Switch-7', true]);
    const idTwice = await raw({ authorization: `Bearer ${key}`, 'x-request-id': ['a', 'b'] });
    expect([idTwice.status, idTwice.body, taken[at + 1]]).toEqual([200, upper.body, false]);
    const keyTwice = await raw({ authorization: [`Bearer ${key}`, `Bearer ${key}`] });
    expect([keyTwice.status, taken[at + 2]]).toEqual([401, false]);
  });

  it('draws on the one rate limit: past the burst the route answers 429, whoever got the request', async () => {
    const p = await t.partner({ roles: ['subscriber'], country: 'GB' });
    const statuses: number[] = [];
    for (let i = 0; i < BURST + 5; i++) {
      const res = i % 3 === 0 ? await t.request('/v1/lookup?number=%2B447700900123', { key: p.key }) : await fetch(`${base}/v1/lookup?number=%2B447700900123`, { headers: { authorization: `Bearer ${p.key}` } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toBeTruthy();
        expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
      } else await res.arrayBuffer();
    }
    const ok = statuses.filter((s) => s === 200).length;
    // The bucket refills one token a second while the test runs.
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(BURST + 2);
    expect(statuses.slice(0, BURST)).toEqual(Array(BURST).fill(200));
    expect(statuses.at(-1)).toBe(429);
  });

  it('the hub server wires the lane in front of the app', async () => {
    const served = await t.listen();
    await t.request('/v1/lookup?number=%2B923009999999', { key: who.outsider!.key });
    const res = await fetch(`${served}/v1/lookup?number=%2B12025550123`, { headers: { authorization: `Bearer ${who.outsider!.key}`, 'x-request-id': 'via-hub-server' } });
    const inProcess = await t.request('/v1/lookup?number=%2B12025550123', { key: who.outsider!.key });
    expect(await res.text()).toBe(await inProcess.text());
    expect(res.headers.get('x-request-id')).toBe('via-hub-server');
    expect(res.headers.get('content-type')).toBe('application/json');
  });
});
