import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import { BlockList } from '../../clients/sdk/src/blockList';
import { backoffMs } from '../../clients/sdk/src/retry';

const p = (key: string, prefix: string, length: number | null, action: 'block' | 'flag' = 'block', seq = 1): Pattern => ({
  id: key, key, kind: length === null ? 'prefix' : length === prefix.length ? 'number' : 'block', prefix, length, country: 'PK',
  categories: ['wangiri'], confidence: 80, reporters: 1, action, status: 'active', tlp: 'green', unallocated: false,
  firstSeen: '2026-11-25T00:00:00.000Z', lastSeen: '2026-11-25T00:00:00.000Z', validUntil: null, seq,
});

describe('BlockList', () => {
  it('applies snapshot then changes, ignores changes at or below its seq, answers by longest prefix', () => {
    const list = new BlockList({ defaultCountry: 'PK' });
    list.applySnapshot(10, [p('+92300123*', '92300123', null, 'flag')]);
    const changes: Change[] = [
      { seq: 9, op: 'upsert', pattern: p('+923001230001', '923001230001', 12, 'block', 9) }, // old: ignored
      { seq: 11, op: 'upsert', pattern: p('+923001234567', '923001234567', 12, 'block', 11) },
    ];
    expect(list.applyChanges(changes, 11).map((c) => c.seq)).toEqual([11]);
    expect(list.applyChanges(changes, 11)).toEqual([]); // the same message again changes nothing
    expect(list.check('0300 1234567')).toMatchObject({ number: '+923001234567', verdict: 'block' });
    expect(list.check('+923001230001')).toMatchObject({ verdict: 'flag' });
    expect(list.check('+447700900000')).toMatchObject({ verdict: 'allow', matches: [] });
    expect(list.check('garbage')).toHaveProperty('error');
    list.applyChanges([{ seq: 12, op: 'remove', pattern: p('+92300123*', '92300123', null, 'flag', 12) }], 12);
    expect(list.check('+923001230001')).toMatchObject({ verdict: 'allow' });
    expect(list.seq).toBe(12);
  });

  it('saves and restores itself with its seq; a missing or foreign file is not a list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blocklist-'));
    const list = new BlockList();
    list.applySnapshot(42, Array.from({ length: 2500 }, (_, i) => p(`+92300${1_000_000 + i}`, `92300${1_000_000 + i}`, 12)));
    await list.save(join(dir, 'list.ndjson'));
    const back = new BlockList();
    expect(await back.load(join(dir, 'list.ndjson'))).toBe(true);
    expect(back.seq).toBe(42);
    expect(back.patterns()).toEqual(list.patterns());
    expect(await new BlockList().load(join(dir, 'missing.ndjson'))).toBe(false);
    writeFileSync(join(dir, 'other.ndjson'), '{"hello":1}\n');
    expect(await new BlockList().load(join(dir, 'other.ndjson'))).toBe(false);
  });
});

describe('backoff', () => {
  it('grows exponentially, capped, with full jitter', () => {
    const policy = { attempts: 10, baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffMs(a, policy, () => 0.999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffMs(3, policy, () => 0)).toBe(0);
  });
});
