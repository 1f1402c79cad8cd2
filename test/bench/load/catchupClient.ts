/**
 * Load process for the catch-up part: a subscriber that is `since` behind resumes, over the
 * WebSocket feed (until `live`) or by pulling /v1/feed/changes (until `hasMore` is false), parsing
 * every message as a client must; or the baseline, one SQL read of the same change rows.
 */
import WebSocket from 'ws';
import { serveParent } from '../lib/child';
import { connect } from '../lib/pg';

function overWs(arg: { base: string; key: string; since: number }) {
  const started = performance.now();
  return new Promise<{ ms: number; changes: number; messages: number }>((resolve, reject) => {
    const ws = new WebSocket(`${arg.base.replace('http', 'ws')}/v1/feed/ws`, { headers: { authorization: `Bearer ${arg.key}` }, perMessageDeflate: false });
    let changes = 0;
    let messages = 0;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', since: arg.since })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; changes?: unknown[] };
      messages++;
      if (msg.type === 'changes') changes += msg.changes!.length;
      else if (msg.type === 'live') {
        resolve({ ms: performance.now() - started, changes, messages });
        ws.close();
      } else if (msg.type === 'error') reject(new Error(data.toString()));
    });
    ws.on('error', reject);
  });
}

async function overPull(arg: { base: string; key: string; since: number; limit: number }) {
  const started = performance.now();
  let since = arg.since;
  let changes = 0;
  let requests = 0;
  for (;;) {
    const res = await fetch(`${arg.base}/v1/feed/changes?since=${since}&limit=${arg.limit}`, { headers: { authorization: `Bearer ${arg.key}` } });
    if (res.status !== 200) throw new Error(`changes: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { changes: unknown[]; next: number; hasMore: boolean };
    requests++;
    changes += page.changes.length;
    since = page.next;
    if (!page.hasMore) break;
  }
  return { ms: performance.now() - started, changes, requests };
}

async function overSql(arg: { url: string; since: number }) {
  const db = connect(arg.url);
  try {
    const started = performance.now();
    const rows = await db`select seq, op, state, audience, prev, committed_at from changes where seq > ${arg.since} order by seq`;
    return { ms: performance.now() - started, changes: rows.length };
  } finally {
    await db.end();
  }
}

serveParent('catchupClient', { ws: overWs, pull: overPull, sql: overSql });
