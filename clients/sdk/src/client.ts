import { createHash } from 'node:crypto';
import type { ChangesResponse, FeedFilter, Snapshot } from '../../../schemas/feed';
import type { IndicatorInput, IntakeResponse } from '../../../schemas/indicators';
import type { LookupResponse } from '../../../schemas/lookup';
import type { CreatedPartner, PartnerList } from '../../../schemas/partners';
import type { Role } from '../../../schemas/common';
import { HubApiError, HubUnreachableError, ResyncRequiredError } from './errors';
import { backoffMs, DEFAULT_RETRY, sleep, type RetryPolicy } from './retry';
import { Subscription, type SubscribeOptions } from './subscription';

/** Where the hub is and who is calling. */
export interface HubClientOptions {
  /** Base URL, e.g. http://hub.example:8787 */
  url: string;
  apiKey: string;
  retry?: RetryPolicy;
  /** Per-request timeout (long polls add their wait to it). */
  timeoutMs?: number;
}

/** What a `submit` did, added up over its batches. */
export interface SubmitSummary {
  batches: number;
  created: number;
  corroborated: number;
  duplicate: number;
  rejected: number;
  /** Feed position once every batch is committed. */
  seq: number;
}

export interface SubmitOptions {
  /** Items per request (1..10000). */
  batchSize?: number;
  /**
   * Namespaces the Idempotency-Keys. Each batch's key is derived from this and the batch's content,
   * so a retry, or a rerun of the same input after a crash, replays instead of counting twice.
   */
  idempotencyScope?: string;
  /** Called after each batch with its answer (e.g. to write rejected rows somewhere). */
  onBatch?: (answer: IntakeResponse, batch: readonly IndicatorInput[], batchIndex: number) => void | Promise<void>;
}

/** Query parameters for a filter. */
export function filterQuery(filter: FeedFilter = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (filter.country?.length) q.set('country', filter.country.join(','));
  if (filter.category?.length) q.set('category', filter.category.join(','));
  if (filter.minConfidence !== undefined) q.set('minConfidence', String(filter.minConfidence));
  if (filter.action) q.set('action', filter.action);
  return q;
}

/**
 * The hub's REST API. Requests that may succeed later (429, 503, connection errors) are retried
 * with backoff and jitter; submissions carry a stable Idempotency-Key, so a retry never counts twice.
 */
export class HubClient {
  readonly url: string;
  readonly #key: string;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;

  constructor(opts: HubClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.#key = opts.apiKey;
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** The API key, for the WebSocket upgrade. */
  get apiKey(): string {
    return this.#key;
  }

  /** Submits indicators in batches (from an array or any iterable, consumed batch by batch). */
  async submit(indicators: Iterable<IndicatorInput> | AsyncIterable<IndicatorInput>, opts: SubmitOptions = {}): Promise<SubmitSummary> {
    const size = Math.min(Math.max(opts.batchSize ?? 1000, 1), 10_000);
    const sum: SubmitSummary = { batches: 0, created: 0, corroborated: 0, duplicate: 0, rejected: 0, seq: 0 };
    let batch: IndicatorInput[] = [];
    const flush = async () => {
      const answer = await this.submitBatch(batch, opts.idempotencyScope);
      for (const k of ['created', 'corroborated', 'duplicate', 'rejected'] as const) sum[k] += answer.summary[k];
      sum.seq = Math.max(sum.seq, answer.seq);
      const index = sum.batches++;
      await opts.onBatch?.(answer, batch, index);
      batch = [];
    };
    for await (const item of indicators) {
      batch.push(item);
      if (batch.length === size) await flush();
    }
    if (batch.length > 0) await flush();
    return sum;
  }

  /** One batch, under an Idempotency-Key derived from its content (and the scope). */
  async submitBatch(batch: readonly IndicatorInput[], scope = ''): Promise<IntakeResponse> {
    const body = JSON.stringify({ indicators: batch });
    const key = `sdk-${createHash('sha256').update(scope).update('\n').update(body).digest('base64url').slice(0, 43)}`;
    return this.#call<IntakeResponse>('POST', '/v1/indicators', { body, headers: { 'content-type': 'application/json', 'idempotency-key': key } });
  }

  /** The filtered snapshot: every live pattern as of one seq. */
  snapshot(filter?: FeedFilter): Promise<Snapshot> {
    return this.#call<Snapshot>('GET', `/v1/feed/snapshot?${filterQuery(filter)}`);
  }

  /** Changes after `since`; `wait` long-polls (seconds). Throws ResyncRequiredError past retention. */
  changes(since: number, opts: { limit?: number; wait?: number; filter?: FeedFilter; signal?: AbortSignal } = {}): Promise<ChangesResponse> {
    const q = filterQuery(opts.filter);
    q.set('since', String(since));
    q.set('limit', String(opts.limit ?? 1000));
    if (opts.wait) q.set('wait', String(opts.wait));
    return this.#call<ChangesResponse>('GET', `/v1/feed/changes?${q}`, { extraTimeoutMs: (opts.wait ?? 0) * 1000, signal: opts.signal });
  }

  /** The verdict for a number, in any form intake accepts. */
  lookup(number: string, country?: string): Promise<LookupResponse> {
    const q = new URLSearchParams({ number });
    if (country) q.set('country', country);
    return this.#call<LookupResponse>('GET', `/v1/lookup?${q}`);
  }

  /** Keeps a BlockList in sync over WebSocket (falling back to pull); see Subscription. */
  subscribe(opts: SubscribeOptions = {}): Subscription {
    return new Subscription(this, opts);
  }

  /** Operators: onboard a partner (its key is in the answer, once). */
  createPartner(input: { name: string; country: string; roles: Role[] }): Promise<CreatedPartner> {
    return this.#call<CreatedPartner>('POST', '/v1/partners', { body: JSON.stringify(input), headers: { 'content-type': 'application/json' }, retryable: false });
  }

  /** Operators: partners with their feed positions. */
  partners(): Promise<PartnerList> {
    return this.#call<PartnerList>('GET', '/v1/partners');
  }

  async #call<T>(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; extraTimeoutMs?: number; signal?: AbortSignal | undefined; retryable?: boolean } = {},
  ): Promise<T> {
    const attempts = init.retryable === false ? 1 : this.#retry.attempts;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(this.#timeoutMs + (init.extraTimeoutMs ?? 0));
        res = await fetch(this.url + path, {
          method,
          headers: { authorization: `Bearer ${this.#key}`, ...init.headers },
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal: init.signal ? AbortSignal.any([timeout, init.signal]) : timeout,
        });
      } catch (err) {
        if (init.signal?.aborted) throw err;
        if (attempt + 1 >= attempts) throw new HubUnreachableError(`cannot reach ${this.url}: ${(err as Error).message}`, err);
        await sleep(backoffMs(attempt, this.#retry), init.signal);
        continue;
      }
      if (res.ok) return (await res.json()) as T;
      const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
      const retryAfter = Number(res.headers.get('retry-after'));
      const error =
        res.status === 410
          ? new ResyncRequiredError(problem.detail ?? 'resync required')
          : new HubApiError(res.status, problem.code ?? `http_${res.status}`, problem.detail ?? problem.title ?? res.statusText, retryAfter > 0 ? retryAfter * 1000 : undefined);
      const transient = res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      if (!transient || attempt + 1 >= attempts) throw error;
      await sleep(Math.max(error.retryAfterMs ?? 0, backoffMs(attempt, this.#retry)), init.signal);
    }
  }
}
