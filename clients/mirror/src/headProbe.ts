import { HubClient } from '../../sdk/src/index';

/** Any number the hub can parse: the probe wants the answer's `seq`, not its verdict. */
const PROBE_NUMBER = '+12025550100';

/** The hub's head as last learned, and how to ask again. */
export interface HeadProbe {
  /** The hub's change-log head at the last probe; null before the first answer or when the last one failed. */
  readonly head: number | null;
  /** Probes now (unless one is under way), e.g. when the feed just dropped. */
  probe(): void;
  stop(): void;
}

/**
 * Learns the hub's head every `everyMs` from a lookup: its answer carries `seq`, the position of
 * the hub node's in-memory matcher, which follows the change log. One small in-memory request per
 * interval, and it works whether the feed is on WebSocket, on pull, or still catching up. A failed
 * probe forgets the head: a hub that cannot be reached has no known head.
 */
export function startHeadProbe(opts: { url: string; apiKey: string; everyMs: number }): HeadProbe {
  // One attempt, short timeout: a probe that waits is worse than the next one.
  const client = new HubClient({ url: opts.url, apiKey: opts.apiKey, retry: { attempts: 1, baseMs: 0, maxMs: 0 }, timeoutMs: 3000 });
  let head: number | null = null;
  let inFlight = false;
  let stopped = false;

  const probe = () => {
    if (inFlight || stopped) return;
    inFlight = true;
    client
      .lookup(PROBE_NUMBER)
      .then((answer) => {
        head = typeof answer.seq === 'number' ? answer.seq : null;
      })
      .catch(() => {
        head = null;
      })
      .finally(() => {
        inFlight = false;
      });
  };
  const timer = setInterval(probe, opts.everyMs);
  timer.unref();
  probe();

  return {
    get head() {
      return head;
    },
    probe,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
