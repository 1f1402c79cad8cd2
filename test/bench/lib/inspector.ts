/**
 * A child's V8 over the inspector (the child runs with `--inspect=127.0.0.1:0`): CPU profiles of a
 * window of its life, started once the hub is ready and stopped before it shuts down, so start-up
 * (module loading, reading every pattern into the matcher) does not drown the part's own work (the
 * profile is written as `--cpu-prof` would name it, thread 0, for lib/profile.ts); and full
 * garbage collections, so that a memory reading counts what is held, not what is left to collect.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';

export interface InspectorProfiler {
  /** Stops profiling and writes the .cpuprofile into `dir`; returns its path. */
  stop(): Promise<string | null>;
}

interface Session {
  call<T>(method: string, params?: object): Promise<T>;
  close(): void;
}

async function openSession(debuggerUrl: string): Promise<Session> {
  const ws = new WebSocket(debuggerUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  return {
    call: <T>(method: string, params: object = {}) =>
      new Promise<T>((resolve) => {
        const id = nextId++;
        pending.set(id, (r) => resolve(r as T));
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

export async function startProfiling(debuggerUrl: string, dir: string, pid: number): Promise<InspectorProfiler> {
  const session = await openSession(debuggerUrl);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: 1000 });
  await session.call('Profiler.start');
  return {
    async stop() {
      try {
        const { profile } = await session.call<{ profile: unknown }>('Profiler.stop');
        const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
        const file = join(dir, `CPU.${stamp.slice(0, 8)}.${stamp.slice(8)}.${pid}.0.001.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        return file;
      } catch {
        return null;
      } finally {
        session.close();
      }
    },
  };
}

/** A full garbage collection in the child, done when this resolves. */
export async function collectGarbage(debuggerUrl: string): Promise<void> {
  const session = await openSession(debuggerUrl);
  try {
    await session.call('HeapProfiler.collectGarbage');
  } finally {
    session.close();
  }
}
