/**
 * fanout: delay from the submit call to each subscriber's receipt of the change.
 *
 * 5,000 WebSocket subscribers (quick: 300) spread over 4 load processes (quick: 2), half with each
 * of 2 filters (both select what is submitted). A submitter load process sends 10 submissions/s
 * for 20 s (quick: 1.5 s), one indicator each, after 1 s (quick: 0.5 s) of untimed warm-up
 * submissions. Every receipt of every change is timed against its submit call (same machine
 * clock). Run three times in the same conditions, with the same load processes: the bare `ws`
 * broadcaster (the limit: no database, frames serialized once per filter), socket.io broadcasting
 * the same frames to one room per filter (the peer), and the hub on PostgreSQL. The CPU seconds
 * of server, subscribers and PostgreSQL are recorded for each. Targets: every delivery made,
 * p99 ≤ 1.5× the bare p99, and ahead of socket.io.
 */
import { cpuMeter, cpuText } from '../lib/cpu';
import { scratchDatabase } from '../lib/db';
import { figure, target, type Figure } from '../lib/figures';
import { startHub } from '../lib/hub';
import type { Part, PartContext } from '../lib/part';
import { forkLoad, type LoadProcess } from '../lib/proc';
import { Scope, sleep } from '../lib/scope';
import { Fleet, type Delivery } from '../lib/subscribers';

const FILTERS = [{ country: ['PK'] }, { category: ['wangiri', 'irsf', 'scam_call_center'], minConfidence: 50 }];
type System = 'bare' | 'sio' | 'hub';

interface Measured extends Delivery {
  connectMs: number;
  submitFailures: number;
  cpu: Record<string, number>;
}

export const fanoutPart: Part = {
  name: 'fanout',
  title: 'WebSocket fan-out delay, hub vs a bare ws broadcaster and socket.io',
  timeoutMs: { full: 8 * 60_000, quick: 30_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const subscribers = ctx.quick ? 300 : 5000;
    const seconds = ctx.quick ? 1.5 : 20;
    const warmup = ctx.quick ? 5 : 10;
    const perSecond = 10;
    const deadlineMs = ctx.quick ? 28_000 : 7 * 60_000;
    // The same load processes serve the three systems in turn.
    const [fleet, submitter] = await Promise.all([Fleet.start(ctx.scope, ctx.quick ? 2 : 4, deadlineMs), forkLoad(ctx.scope, 'submitter', { deadlineMs })]);
    const got = {} as Record<System, Measured>;
    for (const system of ['bare', 'sio', 'hub'] as const) {
      const scope = new Scope();
      try {
        got[system] = await measure(ctx, scope, system, { fleet, submitter, subscribers, perSecond, seconds, warmup, deadlineMs });
      } finally {
        await fleet.reset();
        await scope.close();
      }
      const m = got[system];
      ctx.log(`${system}: p50 ${m.histogram.percentile(50)} ms, p99 ${m.histogram.percentile(99)} ms, max ${m.histogram.max.toFixed(1)} ms, delivered ${m.delivered}/${m.expected}`);
      ctx.detail(
        `${system}: ${subscribers.toLocaleString('en-US')} subscribers connected in ${(m.connectMs / 1000).toFixed(1)} s; delay p50 ${m.histogram.percentile(50)} ms, p90 ${m.histogram.percentile(90)} ms, ` +
          `p99 ${m.histogram.percentile(99)} ms, max ${m.histogram.max.toFixed(1)} ms; delivered ${m.delivered.toLocaleString('en-US')} of ${m.expected.toLocaleString('en-US')}` +
          `${m.duplicates ? `, ${m.duplicates} duplicates` : ''}${m.closedEarly ? `, ${m.closedEarly} closed early` : ''}${m.submitFailures ? `, ${m.submitFailures} failed submits` : ''}; ` +
          `CPU from the first submission to the last receipt: ${cpuText(m.cpu)}`,
      );
    }
    ctx.detail(
      `${perSecond} submissions/s for ${seconds} s, one indicator each, after ${warmup} untimed warm-up submissions; 2 filters (${FILTERS.map((f) => JSON.stringify(f)).join(', ')}), ` +
        `both selecting every submission; subscribers spread over ${fleet.procs.length} load processes`,
    );
    const p99 = (s: System) => got[s].histogram.percentile(99);
    return [
      figure({ part: 'fanout', name: 'deliveries made', value: got.hub.delivered, unit: '', baselineName: 'expected', baseline: got.hub.expected, target: target.all() }),
      figure({ part: 'fanout', name: 'p99 delay vs bare ws', value: p99('hub'), unit: 'ms', baselineName: 'bare ws broadcaster', baseline: p99('bare'), target: target.ratioAtMost(1.5) }),
      figure({ part: 'fanout', name: 'p99 delay vs socket.io', value: p99('hub'), unit: 'ms', baselineName: 'socket.io', baseline: p99('sio'), target: target.ahead() }),
      figure({ part: 'fanout', name: 'p50 delay vs bare ws', value: got.hub.histogram.percentile(50), unit: 'ms', baselineName: 'bare ws broadcaster', baseline: got.bare.histogram.percentile(50), target: target.info() }),
    ];
  },
};

interface Setup {
  fleet: Fleet;
  submitter: LoadProcess;
  subscribers: number;
  perSecond: number;
  seconds: number;
  /** Untimed submissions first. */
  warmup: number;
  deadlineMs: number;
}

async function measure(ctx: PartContext, scope: Scope, system: System, s: Setup): Promise<Measured> {
  let serverPid: number;
  let wsUrl: string;
  let submitUrl: string;
  let submitKey: string | undefined;
  let keys: string[] = [];
  if (system === 'hub') {
    const url = await scratchDatabase(scope);
    const hub = await startHub(scope, { databaseUrl: url, profileDir: ctx.profileDir('hub') });
    submitKey = (await hub.partner(['submitter'], 'PK')).key;
    keys = await Promise.all(Array.from({ length: 4 }, () => hub.partner(['subscriber'], 'GB').then((p) => p.key)));
    serverPid = hub.pid;
    wsUrl = `${hub.base.replace('http', 'ws')}/v1/feed/ws`;
    submitUrl = `${hub.base}/v1/indicators`;
  } else {
    const profileDir = ctx.profileDir(system === 'bare' ? 'bare ws' : 'socket.io');
    const server = await forkLoad(scope, system === 'bare' ? 'bareWs' : 'sioServer', {
      deadlineMs: s.deadlineMs,
      ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    serverPid = server.pid;
    const port = await server.call<number>('port');
    wsUrl = system === 'bare' ? `ws://127.0.0.1:${port}/ws` : `http://127.0.0.1:${port}`;
    submitUrl = `http://127.0.0.1:${port}/submit`;
  }
  ctx.log(`${system}: connecting ${s.subscribers} subscribers`);
  const connectMs = await s.fleet.connect({ mode: system, url: wsUrl, keys, total: s.subscribers, filters: FILTERS, ...(system === 'hub' ? { since: 0 } : {}) });
  await sleep(ctx.quick ? 200 : 1000);
  ctx.log(`${system}: submitting ${s.perSecond}/s for ${s.seconds} s`);
  const cpu = cpuMeter({ server: [serverPid], subscribers: s.fleet.procs.map((p) => p.pid), submitter: [s.submitter.pid] });
  const sent = await s.submitter.call<{ sendTimes: Record<string, number>; failures: string[] }>('run', { url: submitUrl, key: submitKey, perSecond: s.perSecond, seconds: s.seconds, warmup: s.warmup });
  if (sent.failures.length) ctx.log(`${system}: ${sent.failures.length} submits failed, e.g. ${sent.failures[0]}`);
  await s.fleet.awaitAll(Object.keys(sent.sendTimes), ctx.quick ? 3000 : 15_000);
  const used = cpu.stop();
  const delivery = await s.fleet.results(sent.sendTimes);
  return { ...delivery, connectMs, submitFailures: sent.failures.length, cpu: used };
}
