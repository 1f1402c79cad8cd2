/**
 * Output of a run: the table printed to the terminal, test/bench/results.json
 * (`{machine, figures: [{name, value, unit, baseline, ratio, target, met, …}]}`) and
 * test/bench/RESULTS.md, both written by the command. A run of some parts replaces those parts'
 * figures and keeps the others from the previous run; quick runs write results.quick.json and
 * RESULTS.quick.md instead, so a smoke check never overwrites the real figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { metText, num, ratioText, type Figure } from './figures';
import type { Machine } from './machine';
import type { ProfileSummary } from './profile';

export interface PartRecord {
  part: string;
  title: string;
  at: string;
  seconds: number;
  details: string[];
  profiles: (ProfileSummary & { label: string })[];
  /** Figures of the run under the profiler (`--profile`), kept apart: the profiler slows the hub. */
  profiledFigures?: Figure[];
  error?: string;
}

export interface Results {
  machine: Machine;
  mode: 'full' | 'quick';
  generatedAt: string;
  figures: Figure[];
  parts: Record<string, PartRecord>;
}

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export function resultPaths(mode: 'full' | 'quick'): { json: string; md: string } {
  return mode === 'full'
    ? { json: `${BENCH_DIR}results.json`, md: `${BENCH_DIR}RESULTS.md` }
    : { json: `${BENCH_DIR}results.quick.json`, md: `${BENCH_DIR}RESULTS.quick.md` };
}

/**
 * Merges this run's parts into the previous results of the same mode and writes both files. A
 * profiled run only adds its profiles (and its figures, apart) to parts measured before without
 * the profiler, whose figures stay.
 */
export function writeResults(mode: 'full' | 'quick', machine: Machine, order: string[], records: PartRecord[], figures: Figure[], profiled = false): Results {
  const paths = resultPaths(mode);
  let previous: Results | null = null;
  if (existsSync(paths.json)) {
    try {
      previous = JSON.parse(readFileSync(paths.json, 'utf8')) as Results;
    } catch {
      previous = null;
    }
  }
  if (profiled) {
    const before = new Map(Object.entries(previous?.parts ?? {}));
    records = records.map((r) => {
      const old = before.get(r.part);
      const mine = figures.filter((f) => f.part === r.part);
      return old && !old.error ? { ...old, profiles: r.profiles, profiledFigures: mine } : { ...r, profiledFigures: mine };
    });
    const keepOld = new Set(records.filter((r) => before.get(r.part) && !before.get(r.part)!.error).map((r) => r.part));
    figures = [...(previous?.figures ?? []).filter((f) => keepOld.has(f.part)), ...figures.filter((f) => !keepOld.has(f.part)).map((f) => ({ ...f, note: `${f.note ? `${f.note}; ` : ''}measured under the profiler` }))];
  }
  const ran = new Set(records.map((r) => r.part));
  const parts: Record<string, PartRecord> = {};
  for (const [name, record] of Object.entries(previous?.parts ?? {})) if (!ran.has(name) && order.includes(name)) parts[name] = record;
  for (const r of records) parts[r.part] = r;
  const kept = (previous?.figures ?? []).filter((f) => !ran.has(f.part) && order.includes(f.part));
  const rank = (part: string) => order.indexOf(part);
  const all = [...kept, ...figures].sort((a, b) => rank(a.part) - rank(b.part));
  const results: Results = { machine, mode, generatedAt: new Date().toISOString(), figures: all, parts };
  writeFileSync(paths.json, JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  writeFileSync(paths.md, markdown(results, order));
  return results;
}

const valueText = (f: Figure, v: number) => (Number.isFinite(v) ? `${num(v)} ${f.unit}`.trim() : '—');

/** The terminal table: every figure beside its baseline and their ratio. */
export function table(figures: readonly Figure[]): string {
  const rows = [
    ['part', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'met'],
    ...figures.map((f) => [f.part, f.name, valueText(f, f.value), Number.isFinite(f.baseline) ? `${valueText(f, f.baseline)} (${f.baselineName})` : f.note ?? '—', ratioText(f.ratio), f.target, metText(f.met)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function markdown(r: Results, order: string[]): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Benchmark results${r.mode === 'quick' ? ' (quick mode: scaled down, a smoke check only)' : ''}`);
  out.push('');
  out.push(`Written by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` (test/bench/run.ts) on ${r.generatedAt}; do not edit by hand.`);
  out.push('Every figure stands beside its baseline, measured in the same run of its part, and their ratio (value ÷ baseline).');
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push('| | |');
  out.push('| --- | --- |');
  out.push(`| CPU | ${m.cores} cores, ${m.cpu} |`);
  out.push(`| memory | ${m.memoryGiB} GiB |`);
  out.push(`| OS | ${m.os} |`);
  out.push(`| Node.js | ${m.node} |`);
  out.push(`| PostgreSQL | ${m.postgres} |`);
  out.push(`| open files (ulimit -n) | ${m.openFiles} |`);
  out.push(`| packages | ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
  out.push('');
  out.push('## Figures');
  out.push('');
  out.push('| part | figure | value | baseline (same run) | ratio | target | met |');
  out.push('| --- | --- | ---: | --- | ---: | --- | --- |');
  for (const f of r.figures) {
    const base = Number.isFinite(f.baseline) ? `${valueText(f, f.baseline)} (${f.baselineName})` : '—';
    out.push(`| ${f.part} | ${f.name}${f.note ? ` <br><sub>${f.note}</sub>` : ''} | ${valueText(f, f.value)} | ${base} | ${ratioText(f.ratio)} | ${f.target} | ${metText(f.met)} |`);
  }
  const missed = r.figures.filter((f) => f.met === false);
  out.push('');
  out.push('## Targets missed');
  out.push('');
  if (missed.length === 0) out.push('None.');
  for (const f of missed) out.push(`- **${f.part} / ${f.name}**: ${valueText(f, f.value)} against ${f.target}${Number.isFinite(f.ratio) ? ` (ratio ${ratioText(f.ratio)})` : ''}${f.note ? `: ${f.note}` : ''}`);
  out.push('');
  out.push('## Parts');
  for (const name of order) {
    const p = r.parts[name];
    if (!p) continue;
    out.push('');
    out.push(`### ${name}: ${p.title}`);
    out.push('');
    out.push(`Run ${p.at}, ${p.seconds.toFixed(0)} s.${p.error ? ` **Failed:** ${p.error}` : ''}`);
    if (p.details.length) {
      out.push('');
      for (const d of p.details) out.push(`- ${d}`);
    }
    if (p.profiledFigures?.length) {
      out.push('');
      out.push(`Under the profiler (slower, for reference): ${p.profiledFigures.map((f) => `${f.name} ${valueText(f, f.value)} vs ${valueText(f, f.baseline)} (${ratioText(f.ratio)})`).join('; ')}.`);
    }
    for (const prof of p.profiles) {
      out.push('');
      out.push(`CPU profile of ${prof.label} (\`${prof.file}\`, ${(prof.totalMs / 1000).toFixed(1)} s busy), hottest functions by self time:`);
      out.push('');
      out.push('| self ms | % | function | where |');
      out.push('| ---: | ---: | --- | --- |');
      for (const h of prof.functions) out.push(`| ${h.selfMs.toFixed(0)} | ${h.pct.toFixed(1)} | \`${h.fn}\` | ${h.where} |`);
      if (prof.byOwner?.length) {
        out.push('');
        out.push(`Self time by owner: ${prof.byOwner.map((o) => `${o.owner} ${o.pct.toFixed(1)}%`).join(', ')}.`);
      }
    }
  }
  out.push('');
  return out.join('\n');
}
