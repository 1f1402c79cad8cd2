import { createHash, randomUUID } from 'node:crypto';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import { IntakeRequest, IntakeResponse, type ItemResult } from '../../schemas/indicators';
import { prepareIndicator, type AcceptedItem, type ItemRejection } from '../domain/indicators';
import { requireRole } from '../http/auth';
import { RateLimiter, rateLimit } from '../http/rateLimit';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { intakeFormat, parseIntakeBody } from '../http/intakeBody';
import { findIdempotentAnswer, type StoredAnswer } from '../store/idempotency';
import { writeIntake, type IntakeOutcome } from '../store/intake';
import type { AppDeps } from './deps';
import { bearer, jsonBody, problems } from './openapi';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
/** Items normalized between two turns of the event loop (a few ms of work). */
const NORMALIZE_SLICE = 100;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const intakeRoute = createRoute({
  method: 'post',
  path: '/v1/indicators',
  summary: 'Submit indicators: JSON, text/csv (header row names the fields) or application/x-ndjson',
  security: bearer,
  request: {
    headers: z.object({
      'idempotency-key': z.string().optional().openapi({ description: 'a retry with the same key replays the first answer, with no second effect' }),
    }),
    body: {
      content: {
        'application/json': { schema: IntakeRequest },
        'text/csv': { schema: { type: 'string' } },
        'application/x-ndjson': { schema: { type: 'string' } },
      },
      required: true,
    },
  },
  responses: {
    200: jsonBody(IntakeResponse, 'per-item results; one bad item never sinks the batch'),
    ...problems('invalid_request', 'invalid_json', 'empty_batch', 'unauthorized', 'forbidden', 'payload_too_large', 'unsupported_media_type', 'idempotency_key_reused', 'rate_limited'),
  },
});

/** Intake: validate, normalize, dedup and corroborate, commit, answer per item. */
export function indicatorRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // Documented through the registry only: items are validated one by one, so that one bad item
  // is a rejected result rather than a 400 for the whole batch.
  app.openAPIRegistry.registerPath(intakeRoute);
  app.post(
    '/v1/indicators',
    requireRole(deps.keys, 'submitter'),
    rateLimit(new RateLimiter(deps.settings.rateLimits.intake.perSecond, deps.settings.rateLimits.intake.burst), 'intake'),
    bodyLimit({
      maxSize: deps.settings.maxBodyBytes,
      onError: () => {
        throw new HubError('payload_too_large', `the body may hold at most ${deps.settings.maxBodyBytes} bytes`);
      },
    }),
    async (c) => {
      const answer = await submit(c, deps);
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'content-type': 'application/json', ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}) },
      });
    },
  );
  return app;
}

async function submit(c: Context<AppEnv>, deps: AppDeps): Promise<StoredAnswer & { replayed: boolean }> {
  const partner = c.get('partner');
  const format = intakeFormat(c.req.header('content-type'));
  if (!format) throw new HubError('unsupported_media_type', 'send application/json, text/csv or application/x-ndjson');
  const body = await c.req.text();
  const idempotency = idempotencyClaim(c.req.header('idempotency-key'), c.req.header('content-type'), body);
  if (idempotency) {
    const earlier = await findIdempotentAnswer(deps.database.db, partner.id, idempotency.key);
    if (earlier) return replay(earlier, idempotency.requestHash);
  }
  const items = parseIntakeBody(body, format, deps.settings.maxBatchItems);
  const now = deps.clock().toISOString();
  const accepted: AcceptedItem[] = [];
  const rejected: ItemRejection[] = [];
  for (let index = 0; index < items.length; index++) {
    const r = prepareIndicator(index, items[index], partner.country, now);
    if (r.ok) accepted.push(r.item);
    else rejected.push(r.rejection);
    // Normalizing a large batch takes tens of ms: let other requests' transactions (which hold
    // key locks, or the change-log head) go on meanwhile rather than wait behind it.
    if (index % NORMALIZE_SLICE === NORMALIZE_SLICE - 1) await nextTurn();
  }
  const batchId = randomUUID();
  const { answer, replayed } = await writeIntake(deps.database.db, {
    partnerId: partner.id,
    batchId,
    items: accepted,
    now,
    rules: deps.settings.rules,
    idempotency,
    answer: (outcome) => ({ status: 200, body: intakeAnswer(batchId, items.length, outcome, accepted, rejected), requestHash: idempotency?.requestHash ?? '' }),
  });
  if (replayed) return replay(answer, idempotency!.requestHash);
  countOutcomes(deps, answer.body as IntakeResponse);
  deps.tail.wake();
  return { ...answer, replayed: false };
}

function idempotencyClaim(key: string | undefined, contentType: string | undefined, body: string) {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw new HubError('invalid_idempotency_key', 'use 1 to 200 visible ASCII characters');
  const requestHash = createHash('sha256').update(`${contentType ?? ''}\n${body}`).digest('hex');
  return { key, requestHash };
}

function replay(earlier: StoredAnswer, requestHash: string): StoredAnswer & { replayed: boolean } {
  if (earlier.requestHash !== requestHash) {
    throw new HubError('idempotency_key_reused', 'this Idempotency-Key was first used with a different body');
  }
  return { ...earlier, replayed: true };
}

function intakeAnswer(batchId: string, count: number, outcome: IntakeOutcome, accepted: AcceptedItem[], rejected: ItemRejection[]): IntakeResponse {
  const results: ItemResult[] = new Array(count);
  const summary = { created: 0, corroborated: 0, duplicate: 0, rejected: rejected.length };
  for (const r of rejected) results[r.index] = { index: r.index, status: 'rejected', error: { code: r.code, message: r.message } };
  for (const [index, status] of outcome.statuses) {
    summary[status]++;
    results[index] = { index, status, patterns: outcome.patterns.get(index) ?? [] };
  }
  for (const item of accepted) if (item.sightings.some((s) => s.unallocated)) results[item.index]!.unallocated = true;
  return { batchId, seq: outcome.head, summary, results };
}

function countOutcomes(deps: AppDeps, answer: IntakeResponse): void {
  for (const r of answer.results) {
    if (r.status === 'rejected') deps.metrics.indicatorsRejected.inc({ code: r.error!.code });
    else deps.metrics.indicatorsAccepted.inc({ status: r.status });
  }
}
