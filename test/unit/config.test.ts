import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { DEFAULT_TRUST_RULES } from '../../src/domain/trust';

describe('configuration', () => {
  it('defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8787, HUB_DATA_DIR: './.hub-data', HUB_FEED_RETENTION_DAYS: 30, HUB_TRUST_RULES: DEFAULT_TRUST_RULES });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('HUB_TRUST_RULES overrides part of the rules', () => {
    const rules = loadConfig({ HUB_TRUST_RULES: '{"blockAt":80,"validityDays":{"irsf":365},"categoryWeight":{"spoofed_cli":0.5}}' }).HUB_TRUST_RULES;
    expect(rules.blockAt).toBe(80);
    expect(rules.validityDays).toEqual({ ...DEFAULT_TRUST_RULES.validityDays, irsf: 365 });
    expect(rules.categoryWeight.spoofed_cli).toBe(0.5);
    expect(rules.categoryWeight.irsf).toBe(1);
  });

  it.each([
    [{ HUB_TRUST_RULES: 'nope' }, /HUB_TRUST_RULES: must be JSON/],
    [{ HUB_TRUST_RULES: '{"blockAt":800}' }, /HUB_TRUST_RULES.blockAt/],
    [{ HUB_TRUST_RULES: '{"validityDays":{"fraud":3}}' }, /HUB_TRUST_RULES/],
    [{ PORT: 'http' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ HUB_OPERATOR_KEY: 'short' }, /HUB_OPERATOR_KEY/],
  ])('%j fails with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
