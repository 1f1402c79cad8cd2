/**
 * memory: RSS per idle subscriber. 10,000 WebSocket subscribers (quick: 500), spread over 4
 * load processes (quick: 2), subscribe and go live on the hub (empty database, so no snapshot to hold), then
 * stay idle; the hub's RSS growth from before they connected to 3 s after the last one is live,
 * divided by their number, each reading taken half a second after a full garbage collection (the
 * same inspector command on both sides): what is held, not what is left to collect. Without the
 * collection the hub gave 3.6 to 10.1 KiB per subscriber in one hour, by when its last one
 * happened; with it, 5.6 to 5.9 KiB (bare ws 3.3 to 3.7) in three runs just after. Without the
 * half second, a quick run once read the bare server's RSS as shrinking (-2.4 KiB each).
 * Both sides first serve 100 connections that come and go (warm-up).
 * Baseline, same run: a bare `ws` server holding as many (same subscribe message, one `live`
 * answer). Target: ≤ 2× the bare memory per connection.
 */
import { scratchDatabase } from '../lib/db';
import { figure, target, type Figure } from '../lib/figures';
import { startHub } from '../lib/hub';
import type { Part, PartContext } from '../lib/part';
import { forkLoad } from '../lib/proc';
import { Scope, sleep } from '../lib/scope';
import { Fleet, type SubscriberSpec } from '../lib/subscribers';

const FILTERS = [{ country: ['PK'] }, { category: ['wangiri', 'irsf'], minConfidence: 50 }];

export const memoryPart: Part = {
  name: 'memory',
  title: 'RSS per idle WebSocket subscriber vs a bare ws server',
  timeoutMs: { full: 6 * 60_000, quick: 30_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const total = ctx.quick ? 500 : 10_000;
    const deadlineMs = ctx.quick ? 28_000 : 5 * 60_000;
    const fleet = await Fleet.start(ctx.scope, ctx.quick ? 2 : 4, deadlineMs);
    const perConnection: Record<'hub' | 'bare', number> = { hub: 0, bare: 0 };
    for (const system of ['bare', 'hub'] as const) {
      const scope = new Scope();
      try {
        let spec: Omit<SubscriberSpec, 'total'>;
        let rss: () => number;
        let collectGarbage: () => Promise<unknown>;
        // V8 hands freed pages back to the system from a thread of its own, shortly after a collection.
        const heldRss = async () => {
          await collectGarbage();
          await sleep(500);
          return rss();
        };
        if (system === 'hub') {
          const hub = await startHub(scope, { databaseUrl: await scratchDatabase(scope), profileDir: ctx.profileDir('hub'), inspect: true });
          const keys = await Promise.all(Array.from({ length: 4 }, () => hub.partner(['subscriber'], 'GB').then((p) => p.key)));
          spec = { mode: 'hub', url: `${hub.base.replace('http', 'ws')}/v1/feed/ws`, keys, filters: FILTERS, since: 0 };
          rss = hub.rss;
          collectGarbage = () => hub.collectGarbage();
        } else {
          const server = await forkLoad(scope, 'bareWs', { deadlineMs });
          spec = { mode: 'bare', url: `ws://127.0.0.1:${await server.call<number>('port')}/ws`, keys: [], filters: FILTERS };
          rss = server.rss;
          collectGarbage = () => server.call('gc');
        }
        await fleet.connect({ ...spec, total: 100 });
        await fleet.reset();
        await sleep(ctx.quick ? 300 : 1000);
        const before = await heldRss();
        const connectMs = await fleet.connect({ ...spec, total });
        await sleep(ctx.quick ? 1000 : 3000);
        const after = await heldRss();
        perConnection[system] = (after - before) / total;
        ctx.detail(
          `${system}: RSS ${(before / 1024 ** 2).toFixed(0)} MiB before, ${(after / 1024 ** 2).toFixed(0)} MiB with ${total.toLocaleString('en-US')} idle subscribers ` +
            `(connected in ${(connectMs / 1000).toFixed(1)} s): ${(perConnection[system] / 1024).toFixed(1)} KiB each`,
        );
        ctx.log(`${system}: ${(perConnection[system] / 1024).toFixed(1)} KiB per connection`);
      } finally {
        await fleet.reset();
        await scope.close();
      }
    }
    return [
      figure({ part: 'memory', name: 'RSS per idle subscriber', value: perConnection.hub / 1024, unit: 'KiB', baselineName: 'bare ws server', baseline: perConnection.bare / 1024, target: target.ratioAtMost(2) }),
    ];
  },
};
