/**
 * Load process for the intake part: `run` submits a precomputed indicator stream in batches from
 * N concurrent HTTP clients (each its own submitter partner, keep-alive), and reports the
 * wall time from the first request to the last answer and the per-item outcomes.
 */
import { serveParent } from '../lib/child';
import { indicatorStream } from '../lib/indicators';

interface RunArg {
  base: string;
  keys: string[];
  total: number;
  batch: number;
  repeatRate: number;
}

async function run(arg: RunArg) {
  const items = indicatorStream(arg.total, arg.repeatRate);
  const bodies: string[] = [];
  for (let i = 0; i < items.length; i += arg.batch) bodies.push(JSON.stringify({ indicators: items.slice(i, i + arg.batch) }));
  const summary = { created: 0, corroborated: 0, duplicate: 0, rejected: 0 };
  const failures: string[] = [];
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    arg.keys.map(async (key) => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const t = performance.now();
        const res = await fetch(`${arg.base}/v1/indicators`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: bodies[i]!,
        });
        const text = await res.text();
        latencies.push(performance.now() - t);
        if (res.status !== 200) {
          failures.push(`${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        const answer = JSON.parse(text) as { summary: typeof summary };
        for (const k of Object.keys(summary) as (keyof typeof summary)[]) summary[k] += answer.summary[k];
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return { elapsedMs, requests: bodies.length, summary, failures: failures.slice(0, 5), failed: failures.length, latencies };
}

serveParent('intakeClient', { run });
