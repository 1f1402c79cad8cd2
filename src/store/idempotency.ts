import { sql } from 'drizzle-orm';
import { int, rows, type Executor } from './sql';

/** A key a client sent with a request, and the hash of that request's body. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
}

/** An HTTP answer kept so a retry gets exactly the same one. */
export interface StoredAnswer {
  status: number;
  body: unknown;
  requestHash: string;
}

/** The first answer given under this partner's key, if any. */
export async function findIdempotentAnswer(db: Executor, partnerId: string, key: string): Promise<StoredAnswer | null> {
  const [row] = await rows<{ status: unknown; response: string; request_hash: string }>(
    db,
    sql`select status, response, request_hash from idempotency_keys where partner_id = ${partnerId}::uuid and key = ${key}`,
  );
  return row ? { status: int(row.status), body: JSON.parse(row.response), requestHash: row.request_hash } : null;
}

/**
 * Keeps the answer; runs in the transaction that made its effects, so both commit or neither.
 * Kept as text, not jsonb, so a replay is byte for byte the first answer.
 */
export async function saveIdempotentAnswer(db: Executor, partnerId: string, claim: IdempotencyClaim, answer: StoredAnswer): Promise<void> {
  await db.execute(sql`
    insert into idempotency_keys (partner_id, key, request_hash, status, response)
    values (${partnerId}::uuid, ${claim.key}, ${claim.requestHash}, ${answer.status}, ${JSON.stringify(answer.body)})`);
}

/** Forgets answers older than `cutoff`; a retry after that is a new request. */
export async function pruneIdempotentAnswers(db: Executor, cutoff: Date): Promise<void> {
  await db.execute(sql`delete from idempotency_keys where created_at < ${cutoff.toISOString()}::timestamptz`);
}
