/**
 * The load-process side of the coordinator protocol: the coordinator forks a load process with an
 * IPC channel and calls commands on it (`{id, cmd, arg}` → `{id, ok, value | error}`). Every load
 * process stops by itself: at its deadline (BENCH_DEADLINE_MS), or when the coordinator goes away.
 */

/** Command handlers of one load process; each gets the argument the coordinator sent. */
export type Handlers = Record<string, (arg: any) => unknown>;

export function serveParent(name: string, handlers: Handlers): void {
  if (!process.send) throw new Error(`${name} must be started by the benchmark (no IPC channel)`);
  const deadline = Number(process.env.BENCH_DEADLINE_MS ?? 600_000);
  setTimeout(() => {
    process.stderr.write(`load process ${name}: deadline of ${Math.round(deadline / 1000)} s reached, exiting\n`);
    process.exit(3);
  }, deadline).unref();
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: { id: number; cmd: string; arg: unknown }) => {
    const handler = handlers[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`${name}: unknown command ${msg.cmd}`);
        return handler(msg.arg);
      })
      .then(
        (value) => process.send!({ id: msg.id, ok: true, value }),
        (err: unknown) => process.send!({ id: msg.id, ok: false, error: (err as Error)?.stack ?? String(err) }),
      );
  });
  emit('ready', { pid: process.pid });
}

/** An unsolicited message to the coordinator (e.g. `ready`, or a server's port). */
export function emit(event: string, data: unknown = null): void {
  process.send?.({ event, data });
}

/** A wall-clock time in ms with sub-ms resolution, comparable between processes on this machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
