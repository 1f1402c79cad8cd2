import { z } from 'zod';
import { CATEGORIES } from '../schemas/common';
import { DEFAULT_TRUST_RULES, type TrustRules } from './domain/trust';

const intFromEnv = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const perCategory = (min: number, max: number) => z.partialRecord(z.enum(CATEGORIES), z.number().min(min).max(max));

/** `HUB_TRUST_RULES`: JSON overriding any of the default trust rules. */
const TrustRulesJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object({
        defaultConfidence: z.number().int().min(1).max(100),
        blockAt: z.number().int().min(1).max(100),
        maxConfidence: z.number().int().min(1).max(100),
        categoryWeight: perCategory(0, 1),
        validityDays: perCategory(1, 3650),
      })
      .partial()
      .strict(),
  )
  .transform(
    (r): TrustRules => ({
      ...DEFAULT_TRUST_RULES,
      ...r,
      categoryWeight: { ...DEFAULT_TRUST_RULES.categoryWeight, ...r.categoryWeight },
      validityDays: { ...DEFAULT_TRUST_RULES.validityDays, ...r.validityDays },
    }),
  );

/** Every environment variable the hub reads, parsed once at start. */
export const ConfigSchema = z.object({
  PORT: intFromEnv(8787, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  HUB_DATA_DIR: z.string().min(1).default('./.hub-data'),
  HUB_OPERATOR_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  HUB_FEED_RETENTION_DAYS: intFromEnv(30, 1, 3650),
  HUB_MAX_BODY_BYTES: intFromEnv(16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  HUB_MAX_BATCH_ITEMS: intFromEnv(10_000, 1, 100_000),
  HUB_SHUTDOWN_GRACE_MS: intFromEnv(10_000, 0, 600_000),
  HUB_DB_POOL_SIZE: intFromEnv(10, 1, 200),
  HUB_WS_MAX_BUFFER_BYTES: intFromEnv(4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
  HUB_WS_HEARTBEAT_MS: intFromEnv(30_000, 100, 600_000),
  HUB_WS_POSITION_MS: intFromEnv(5_000, 50, 600_000),
  HUB_SWEEP_MS: intFromEnv(60_000, 1000, 86_400_000),
  HUB_RATE_INTAKE_PER_SEC: intFromEnv(20, 1, 100_000),
  HUB_RATE_INTAKE_BURST: intFromEnv(40, 1, 100_000),
  HUB_RATE_LOOKUP_PER_SEC: intFromEnv(1000, 1, 1_000_000),
  HUB_RATE_LOOKUP_BURST: intFromEnv(2000, 1, 1_000_000),
  HUB_TRUST_RULES: TrustRulesJson.default(DEFAULT_TRUST_RULES),
  HUB_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The hub's parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Parses `env` or throws one error that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
