/**
 * Resolves with the first SIGINT or SIGTERM, so a long-running command can stop cleanly (close its
 * feed, flush its output). A second signal does not wait for that: the process exits at once.
 */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const now = (again: NodeJS.Signals) => process.exit(again === 'SIGINT' ? 130 : 143);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
