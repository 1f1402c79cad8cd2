/**
 * Load process for the snapshot part: reads the hub's NDJSON snapshot to the end, or the
 * baseline `COPY (SELECT …) TO STDOUT` of the same rows, counting lines and bytes (neither side
 * parses rows: this times delivery).
 */
import { serveParent } from '../lib/child';
import { connect, drain } from '../lib/pg';

function count(chunk: Uint8Array, acc: { lines: number; bytes: number }): void {
  acc.bytes += chunk.length;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) acc.lines++;
}

async function ndjson(arg: { base: string; key: string }) {
  const started = performance.now();
  const res = await fetch(`${arg.base}/v1/feed/snapshot`, { headers: { authorization: `Bearer ${arg.key}`, accept: 'application/x-ndjson' } });
  if (res.status !== 200) throw new Error(`snapshot: ${res.status} ${await res.text()}`);
  const acc = { lines: 0, bytes: 0 };
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    count(value, acc);
  }
  return { ms: performance.now() - started, ...acc };
}

async function copy(arg: { url: string; query: string }) {
  const db = connect(arg.url);
  try {
    const started = performance.now();
    const acc = { lines: 0, bytes: 0 };
    const stream = await db.unsafe(`copy (${arg.query}) to stdout`).readable();
    stream.on('data', (c: Buffer) => count(c, acc));
    await drain(stream, false);
    return { ms: performance.now() - started, ...acc };
  } finally {
    await db.end();
  }
}

serveParent('snapshotClient', { ndjson, copy });
