/**
 * Load process for the fan-out part: submits one indicator per request at a fixed rate (open
 * loop: a slow answer does not delay the next submission) and records, per change key, the wall
 * time just before each submit call. The same bodies go to the hub and to the bare servers.
 */
import { serveParent, wallNow } from '../lib/child';

interface RunArg {
  url: string;
  key?: string;
  perSecond: number;
  seconds: number;
  /** Submissions first sent at the same rate and not timed (JIT and connection warm-up). */
  warmup: number;
}

async function run(arg: RunArg) {
  const total = arg.warmup + Math.round(arg.perSecond * arg.seconds);
  const sendTimes: Record<string, number> = {};
  const failures: string[] = [];
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / arg.perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const digits = `9234${i < arg.warmup ? 6 : 5}${String(i + 1).padStart(7, '0')}`;
    const body = JSON.stringify({ indicators: [{ pattern: `+${digits}`, category: 'wangiri', confidence: 80 }] });
    if (i >= arg.warmup) sendTimes[`+${digits}`] = wallNow();
    inflight.push(
      fetch(arg.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(arg.key ? { authorization: `Bearer ${arg.key}` } : {}) }, body })
        .then(async (res) => {
          const text = await res.text();
          if (res.status !== 200) failures.push(`${res.status} ${text.slice(0, 200)}`);
        })
        .catch((err: unknown) => void failures.push(String(err))),
    );
  }
  await Promise.all(inflight);
  return { sendTimes, failures, seconds: (performance.now() - started) / 1000 };
}

serveParent('submitter', { run });
