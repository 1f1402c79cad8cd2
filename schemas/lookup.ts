import { z } from '@hono/zod-openapi';
import { Country } from './common';
import { Pattern } from './patterns';

export const LookupQuery = z.object({
  number: z.string().trim().min(1).max(200).openapi({ example: '+923001234567' }),
  country: Country.optional(),
});

export const VERDICTS = ['block', 'flag', 'allow'] as const;

export const LookupResponse = z
  .object({
    number: z.string().openapi({ description: 'the number in E.164' }),
    verdict: z.enum(VERDICTS),
    seq: z.number().int().openapi({ description: 'change-log position the answer reflects' }),
    matches: z.array(Pattern).openapi({ description: 'longest prefix first' }),
    allowlisted: z
      .object({ id: z.string().uuid(), holder: z.string(), certificate: z.string() })
      .optional()
      .openapi({ description: 'the certified legitimate entry covering the number (verdict allow)' }),
  })
  .openapi('LookupResponse');
export type LookupResponse = z.infer<typeof LookupResponse>;
