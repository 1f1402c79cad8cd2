import { z } from '@hono/zod-openapi';
import { Country, Role, Timestamp } from './common';

/** `POST /v1/partners` body. */
export const CreatePartner = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
    country: Country,
    roles: z.array(Role).min(1).max(3).transform((r) => [...new Set(r)]),
  })
  .strict()
  .openapi('CreatePartner');
export type CreatePartner = z.infer<typeof CreatePartner>;

/** A partner as operators see it, with its feed position. */
export const Partner = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    country: z.string(),
    roles: z.array(Role),
    createdAt: Timestamp,
    disabled: z.boolean(),
    ackedSeq: z.number().int(),
    lag: z.number().int().openapi({ description: 'changes between ackedSeq and the head of the log' }),
    connected: z.number().int().openapi({ description: 'open WebSocket feeds of this partner on this node' }),
  })
  .openapi('Partner');
export type Partner = z.infer<typeof Partner>;

/** The answer to `POST /v1/partners`: the only time the API key is shown. */
export const CreatedPartner = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    country: z.string(),
    roles: z.array(Role),
    apiKey: z.string().openapi({ description: 'shown once; the hub keeps only a hash' }),
  })
  .openapi('CreatedPartner');
export type CreatedPartner = z.infer<typeof CreatedPartner>;

export const PartnerList = z.object({ head: z.number().int(), partners: z.array(Partner) }).openapi('PartnerList');
export type PartnerList = z.infer<typeof PartnerList>;
