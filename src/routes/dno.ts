import { randomUUID } from 'node:crypto';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { DnoResult, HoldingList, PatternInput } from '../../schemas/trust';
import { blockWithin } from '../domain/blocks';
import { defaultCountryOf } from '../domain/indicators';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { writeIntake } from '../store/intake';
import { findPartner } from '../store/partners';
import { insertHoldings, listHoldings } from '../store/trustReads';
import type { AppDeps } from './deps';
import { IdParam, bearer, jsonBody, problems } from './openapi';
import { normalizeOrRefuse } from './patternInput';

/** Number holdings (operators record them) and do-not-originate declarations inside them. */
export function dnoRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const operator = requireRole(deps.keys, 'operator');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/partners/{id}/holdings',
      summary: 'Record a number range this partner holds (it may then declare DNO numbers inside it)',
      security: bearer,
      middleware: [operator] as const,
      request: { params: IdParam, body: { content: { 'application/json': { schema: PatternInput } }, required: true } },
      responses: { 201: jsonBody(HoldingList, 'recorded'), ...problems('invalid_request', 'invalid_pattern', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const partner = await findPartner(deps.database.db, c.req.valid('param').id);
      if (!partner) throw new HubError('not_found', 'no such partner');
      const input = c.req.valid('json');
      const { blocks } = normalizeOrRefuse(input.pattern, { country: input.country, defaultCountry: defaultCountryOf(partner.country) });
      const holdings = await insertHoldings(deps.database.db, partner.id, input.pattern, blocks, deps.clock().toISOString());
      return c.json({ holdings }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/partners/{id}/holdings',
      summary: 'The ranges a partner holds',
      security: bearer,
      middleware: [operator] as const,
      request: { params: IdParam },
      responses: { 200: jsonBody(HoldingList, 'holdings'), ...problems('invalid_request', 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const holdings = await listHoldings(deps.database.db, c.req.valid('param').id);
      return c.json({ holdings: holdings.map(({ id, pattern, key }) => ({ id, pattern, key })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dno',
      summary: 'Declare numbers you hold as inbound-only: any call presenting them is `block` with full confidence',
      security: bearer,
      middleware: [requireRole(deps.keys, 'submitter')] as const,
      request: { body: { content: { 'application/json': { schema: PatternInput } }, required: true } },
      responses: { 201: jsonBody(DnoResult, 'declared'), ...problems('invalid_request', 'invalid_pattern', 'unauthorized', 'forbidden', 'not_in_holdings') },
    }),
    async (c) => {
      const partner = c.get('partner');
      const input = c.req.valid('json');
      const { blocks, country, unallocated } = normalizeOrRefuse(input.pattern, { country: input.country, defaultCountry: defaultCountryOf(partner.country) });
      const holdings = await listHoldings(deps.database.db, partner.id);
      const outside = blocks.filter((b) => !holdings.some((h) => blockWithin(b, h)));
      if (outside.length > 0) throw new HubError('not_in_holdings', `${input.pattern} is not inside the ranges recorded for this partner`);
      const now = deps.clock().toISOString();
      const sightings = blocks.map((block) => ({
        index: 0,
        block,
        category: 'spoofed_cli' as const,
        confidence: 100,
        tlp: 'green' as const,
        country: country ?? input.country ?? null,
        unallocated,
        observedAt: null,
        validUntil: null,
        dno: true,
      }));
      const { answer } = await writeIntake(deps.database.db, {
        partnerId: partner.id,
        batchId: randomUUID(),
        items: [{ index: 0, raw: { dno: input }, sightings }],
        now,
        rules: deps.settings.rules,
        answer: (outcome) => ({ status: 201, body: { seq: outcome.head, patterns: outcome.patterns.get(0) ?? [] }, requestHash: '' }),
      });
      deps.tail.wake();
      return c.json(answer.body as { seq: number; patterns: { id: string; key: string }[] }, 201);
    },
  );
  return app;
}
