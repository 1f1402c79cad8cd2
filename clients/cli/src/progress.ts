import { SingleBar } from 'cli-progress';

/** What the submit progress shows besides the bytes read. */
export interface SubmitCounts {
  rows: number;
  created: number;
  rejected: number;
}

/** A progress display that may be off (stderr not a terminal). */
export interface Progress {
  update(bytesRead: number, counts: SubmitCounts): void;
  stop(): void;
}

const OFF: Progress = { update() {}, stop() {} };

/** A bar of bytes read out of the file's size, on stderr, only when stderr is a terminal. */
export function submitProgress(fileSize: number, enabled = Boolean(process.stderr.isTTY)): Progress {
  if (!enabled) return OFF;
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'submit [{bar}] {percentage}% | {mb}/{totalMb} MB | {rows} rows | {created} created | {rejected} rejected | ETA {eta_formatted}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  const totalMb = (fileSize / 1e6).toFixed(1);
  bar.start(Math.max(fileSize, 1), 0, { mb: '0.0', totalMb, rows: 0, created: 0, rejected: 0 });
  return {
    update(bytesRead, counts) {
      bar.update(Math.min(bytesRead, fileSize), { mb: (bytesRead / 1e6).toFixed(1), totalMb, ...counts });
    },
    stop() {
      bar.stop();
    },
  };
}
