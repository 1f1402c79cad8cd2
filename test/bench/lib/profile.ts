/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time per function, hottest first, with
 * file:line in the TypeScript source. tsx runs minified code with a source map; the map of each
 * transformed file is read from tsx's cache (os.tmpdir()/tsx-<uid>), picking among cached
 * versions the one whose code has the profiled function names where the profile says they are.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './proc';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  fn: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: HotFunction[];
  /** Self time by where the code lives: a src/ file, a package, Node's internals, native. */
  byOwner: { owner: string; selfMs: number; pct: number }[];
}

/** Hottest functions by self time. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, { frame: CallFrame; ms: number }>();
  for (const [id, ms] of self) {
    const f = frames.get(id)!;
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    const entry = byFunction.get(key) ?? { frame: f, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  const idle = [...byFunction.values()].filter((e) => e.frame.functionName === '(idle)').reduce((n, e) => n + e.ms, 0);
  const busy = total - idle;
  const hot = [...byFunction.values()]
    .filter((e) => e.frame.functionName !== '(idle)')
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
  const maps = new SourceMaps(hot.map((h) => h.frame));
  const owners = new Map<string, number>();
  for (const e of byFunction.values()) {
    if (e.frame.functionName === '(idle)') continue;
    const owner = ownerOf(e.frame);
    owners.set(owner, (owners.get(owner) ?? 0) + e.ms);
  }
  return {
    file: relative(ROOT, file),
    totalMs: busy,
    byOwner: [...owners]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([owner, ms]) => ({ owner, selfMs: ms, pct: busy > 0 ? (100 * ms) / busy : 0 })),
    functions: hot.map((h) => ({
      fn: h.frame.functionName || '(anonymous)',
      where: maps.locate(h.frame),
      selfMs: h.ms,
      pct: busy > 0 ? (100 * h.ms) / busy : 0,
    })),
  };
}

/** "src/domain/matcher.ts", "hono", "@hono/node-server", "node internals", "native (garbage collector)"… */
function ownerOf(f: CallFrame): string {
  if (!f.url) return `native ${f.functionName}`;
  if (f.url.startsWith('node:')) return 'node internals';
  if (!f.url.startsWith('file://')) return f.url.split(':')[0]!;
  const rel = relative(ROOT, fileURLToPath(f.url));
  const m = /^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  return m ? m[1]! : rel;
}

/** Source maps of the TypeScript files tsx transformed, from its cache. */
class SourceMaps {
  readonly #bySource = new Map<string, { code: string; map: SourceMap }[]>();
  readonly #chosen = new Map<string, { code: string; map: SourceMap } | null>();

  constructor(private readonly frames: CallFrame[]) {
    const wanted = new Set(frames.filter((f) => f.url.endsWith('.ts')).map((f) => fileURLToPath(f.url)));
    if (wanted.size === 0) return;
    const dir = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => !f.endsWith('.pipe'));
    } catch {
      return;
    }
    // Newest first, so that among equally good candidates the latest transform wins.
    const entries = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    for (const path of entries) {
      try {
        const text = readFileSync(path, 'utf8');
        const doc = JSON.parse(text) as { code?: string; map?: { sources?: string[] } };
        const source = doc.map?.sources?.[0];
        if (!doc.code || !source || !wanted.has(source)) continue;
        const list = this.#bySource.get(source) ?? [];
        list.push({ code: doc.code, map: new SourceMap(doc.map as never) });
        this.#bySource.set(source, list);
      } catch {
        // Not a cache entry we understand.
      }
    }
  }

  /** "src/domain/matcher.ts:47" (TypeScript lines), or the generated position when no map fits. */
  locate(f: CallFrame): string {
    if (!f.url) return '(native)';
    if (!f.url.startsWith('file://')) return `${f.url}:${f.lineNumber + 1}`;
    const path = fileURLToPath(f.url);
    const rel = relative(ROOT, path);
    if (!path.endsWith('.ts')) return `${rel}:${f.lineNumber + 1}`;
    const version = this.#version(path);
    const entry = version?.map.findEntry(f.lineNumber, f.columnNumber) as { originalLine?: number } | undefined;
    return entry && entry.originalLine !== undefined ? `${rel}:${entry.originalLine + 1}` : `${rel}:?`;
  }

  /** The cached transform whose code has this file's profiled functions at their profiled columns. */
  #version(path: string): { code: string; map: SourceMap } | null {
    if (this.#chosen.has(path)) return this.#chosen.get(path)!;
    const url = `file://${path}`;
    const named = this.frames.filter((f) => f.url === url && f.functionName);
    let best: { code: string; map: SourceMap } | null = null;
    let bestScore = -1;
    for (const candidate of this.#bySource.get(path) ?? []) {
      const lines = candidate.code.split('\n');
      const score = named.filter((f) => (lines[f.lineNumber] ?? '').slice(Math.max(0, f.columnNumber - 120), f.columnNumber + 120).includes(f.functionName.replace(/^#/, ''))).length;
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    this.#chosen.set(path, best);
    return best;
  }
}

/**
 * The newest main-thread profile in a directory (CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile,
 * thread 0; tsx's module loader thread writes one of its own).
 */
export function newestProfile(dir: string): string | null {
  try {
    const files = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    files.sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs);
    return files[0] ? join(dir, files[0]) : null;
  } catch {
    return null;
  }
}
