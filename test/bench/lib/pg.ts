/** Plain PostgreSQL access for the benchmark (light enough for load processes): connections and COPY streams. */
import type { Readable } from 'node:stream';
import postgres from 'postgres';

/** The server the benchmark's scratch databases are created on. */
export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A connection that never prints notices. */
export function connect(url: string, max = 1) {
  return postgres(url, { max, onnotice: () => {} });
}

/**
 * Every chunk of a COPY TO stream (or only the first when `keep` is false). Read with events:
 * iterating it with `for await` leaves the postgres.js connection stuck after the copy.
 */
export function drain(stream: Readable, keep = true): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => void (keep ? chunks.push(c) : chunks.length === 0 && chunks.push(c)));
    stream.on('end', () => resolve(chunks));
    stream.on('error', reject);
  });
}
