import { createHash } from 'node:crypto';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ChangesQuery, ChangesResponse, FeedFilterQuery, Snapshot, type FeedFilter } from '../../schemas/feed';
import { selectionKey, viewChange } from '../domain/feed';
import type { Viewer } from '../domain/visibility';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { currentHead, readChangesSince, ResyncRequired, type ChangesPage } from '../store/feed';
import { readSnapshotLines, streamSnapshotNdjson } from '../store/snapshotLines';
import type { AppDeps } from './deps';
import { bearer, jsonBody, problems } from './openapi';
import { viewerOf } from './viewer';

const NDJSON = 'application/x-ndjson';

/** REST pull: a snapshot, then the changes after it, both read from the change log's tables. */
export function feedRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const subscriber = requireRole(deps.keys, 'subscriber');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/feed/snapshot',
      summary: `Every live pattern the filter selects, as of one seq; streamed as NDJSON on Accept: ${NDJSON} (first line {"seq":S})`,
      security: bearer,
      middleware: [subscriber] as const,
      request: { query: FeedFilterQuery, headers: z.object({ 'if-none-match': z.string().optional() }) },
      responses: {
        200: { content: { 'application/json': { schema: Snapshot }, [NDJSON]: { schema: z.string() } }, description: 'the snapshot' },
        304: { description: 'unchanged since the ETag given in If-None-Match' },
        ...problems('invalid_request', 'unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const filter = toFilter(c.req.valid('query'));
      const viewer = viewerOf(c);
      const tag = (seq: number, communities: readonly string[]) => `"${seq}-${filterTag(filter, { ...viewer, communities })}"`;
      const ifNoneMatch = c.req.header('if-none-match');
      if (ifNoneMatch && ifNoneMatch === tag(await currentHead(deps.database.db), viewer.communities)) return c.body(null, 304);
      if ((c.req.header('accept') ?? '').includes(NDJSON)) return streamSnapshot(deps, viewer, filter, tag) as never;
      // PostgreSQL writes each pattern's JSON; the document is those texts between its own brackets.
      const pages: string[] = [];
      let etag = '';
      const seq = await readSnapshotLines(deps.database.db, {
        viewer,
        filter,
        separator: ',',
        onStart: (at, view) => void (etag = tag(at, view.communities)),
        onPage: (text) => void pages.push(text),
      });
      c.header('etag', etag);
      return c.body(`{"seq":${seq},"patterns":[${pages.join(',')}]}`, 200, { 'content-type': 'application/json' }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/feed/changes',
      summary: 'Changes after `since` that the filter selects; `wait` long-polls',
      security: bearer,
      middleware: [subscriber] as const,
      request: { query: ChangesQuery },
      responses: { 200: jsonBody(ChangesResponse, 'changes'), ...problems('invalid_request', 'unauthorized', 'forbidden', 'resync_required') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await pullChanges(c, deps, q.since, q.limit, q.wait, toFilter(q));
      return c.json({ changes: page.changes, next: page.next, hasMore: page.hasMore }, 200);
    },
  );
  return app;
}

async function pullChanges(c: Context<AppEnv>, deps: AppDeps, since: number, limit: number, waitSeconds: number, filter: FeedFilter): Promise<ChangesPage> {
  const viewer = viewerOf(c);
  const deadline = Date.now() + waitSeconds * 1000;
  let from = since;
  for (;;) {
    let page: ChangesPage;
    try {
      page = await readChangesSince(deps.database.db, { partnerId: viewer.partnerId, since: from, limit }, (view) => {
        const current = { ...viewer, communities: view.communities };
        return (row) => viewChange(filter, current, row);
      });
    } catch (err) {
      if (err instanceof ResyncRequired) throw new HubError('resync_required', err.message);
      throw err;
    }
    const remaining = deadline - Date.now();
    if (page.changes.length > 0 || page.hasMore || remaining <= 0) return page;
    // Nothing for this reader yet: sleep until this node's tail reads past the head, then look again.
    if (!(await deps.tail.waitFor(page.head, remaining, c.req.raw.signal))) return page;
    from = page.next;
  }
}

/**
 * The NDJSON snapshot: `{"seq":S}`, then one pattern per line, as the store writes them. Each
 * chunk is awaited into the stream (backpressure), so a slow reader holds a few chunks, not the list.
 */
function streamSnapshot(deps: AppDeps, viewer: Viewer, filter: FeedFilter, tag: (seq: number, communities: readonly string[]) => string): Promise<Response> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // Embedded PGlite has one connection: a slow reader must not hold it, so pages are taken first.
  const buffered: Uint8Array[] | null = deps.database.kind === 'pglite' ? [] : null;
  const write = async (bytes: Uint8Array) => {
    await writer.ready;
    await writer.write(bytes);
  };
  return new Promise<Response>((resolve, reject) => {
    let started = false;
    streamSnapshotNdjson(deps.database, {
      viewer,
      filter,
      onStart: (seq, view) => {
        started = true;
        resolve(new Response(readable, { status: 200, headers: { 'content-type': NDJSON, etag: tag(seq, view.communities), 'hub-seq': String(seq) } }));
        const first = writer.write(new TextEncoder().encode(JSON.stringify({ seq }) + '\n'));
        if (!buffered) return first;
        first.catch(() => {});
      },
      onLines: (bytes) => (buffered ? void buffered.push(bytes) : write(bytes)),
    })
      .then(async () => {
        for (const bytes of buffered ?? []) await write(bytes);
        await writer.close();
      })
      .catch((err: unknown) => {
        if (!started) return reject(err);
        deps.log.warn({ err }, 'snapshot stream ended early');
        return writer.abort(err).catch(() => {});
      });
  });
}

function toFilter(q: { country?: string[] | undefined; category?: FeedFilter['category']; minConfidence?: number | undefined; action?: FeedFilter['action'] }): FeedFilter {
  const f: FeedFilter = {};
  if (q.country?.length) f.country = q.country;
  if (q.category?.length) f.category = q.category;
  if (q.minConfidence !== undefined) f.minConfidence = q.minConfidence;
  if (q.action) f.action = q.action;
  return f;
}

function filterTag(filter: FeedFilter, viewer: Viewer): string {
  return createHash('sha256').update(selectionKey(filter, viewer)).digest('base64url').slice(0, 16);
}
