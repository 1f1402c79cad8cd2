/**
 * Figures: a measured value beside its baseline from the same run, their ratio, and the target
 * it is held to (on the ratio, or on the value itself). `met` is null for figures kept for
 * information only.
 */

export interface Figure {
  part: string;
  name: string;
  value: number;
  unit: string;
  /** What the baseline is, e.g. "COPY into bare tables". */
  baselineName: string;
  baseline: number;
  ratio: number;
  target: string;
  met: boolean | null;
  note?: string;
}

/** How a figure is judged. */
export interface Target {
  text: string;
  check: ((value: number, ratio: number) => boolean) | null;
}

export const target = {
  ratioAtLeast: (x: number): Target => ({ text: `≥ ${x}×`, check: (_v, r) => r >= x }),
  ratioAtMost: (x: number): Target => ({ text: `≤ ${x}×`, check: (_v, r) => r <= x }),
  /** Faster (smaller) than the baseline. */
  ahead: (): Target => ({ text: '< 1× (ahead)', check: (_v, r) => r < 1 }),
  all: (): Target => ({ text: '= 1× (all)', check: (_v, r) => r === 1 }),
  valueAtMost: (x: number, unit: string): Target => ({ text: `≤ ${x} ${unit}`, check: (v) => v <= x }),
  info: (): Target => ({ text: '(info)', check: null }),
};

export function figure(f: { part: string; name: string; value: number; unit: string; baselineName: string; baseline: number; target: Target; note?: string }): Figure {
  const ratio = f.baseline === 0 ? (f.value === 0 ? 1 : Infinity) : f.value / f.baseline;
  // Every figure is a rate, a time, a size or a count: a negative reading (an RSS that shrank)
  // measured nothing, and its ratio meets no target.
  const valid = Number.isFinite(f.value) && Number.isFinite(f.baseline) && f.value >= 0 && f.baseline >= 0;
  return {
    part: f.part,
    name: f.name,
    value: f.value,
    unit: f.unit,
    baselineName: f.baselineName,
    baseline: f.baseline,
    ratio,
    target: f.target.text,
    met: f.target.check ? valid && f.target.check(f.value, ratio) : null,
    ...(f.note ? { note: f.note } : {}),
  };
}

/** A figure that could not be measured (the part failed or timed out). */
export function failed(part: string, name: string, reason: string): Figure {
  return { part, name, value: NaN, unit: '', baselineName: '', baseline: NaN, ratio: NaN, target: 'measured', met: false, note: reason };
}

/** 1234567 → "1,234,567"; small values keep up to 3 significant decimals. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function ratioText(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function metText(m: boolean | null): string {
  return m === null ? '' : m ? 'yes' : 'NO';
}
