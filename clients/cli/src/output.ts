import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes to a stream, waiting when its buffer is full (so a large export never piles up in memory). */
export async function writeTo(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** One line on stdout. */
export function out(line: string): Promise<void> {
  return writeTo(process.stdout, line + '\n');
}

/** One line on stderr: notes and progress, never data. */
export function note(line: string): void {
  process.stderr.write(line + '\n');
}

/** A CSV cell: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its line break). */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\n';
}

/** Rows as left-aligned columns separated by two spaces. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Exits quietly when stdout is closed early (`hub tail | head`). */
export function exitOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
