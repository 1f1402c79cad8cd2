import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { CreatePartner, CreatedPartner, Partner, PartnerList } from '../../schemas/partners';
import { generateApiKey, hashApiKey } from '../http/apiKeys';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { readHead } from '../store/changeLog';
import { insertPartner, listPartners, setPartnerDisabled } from '../store/partners';
import type { AppDeps } from './deps';
import { HubError } from '../http/errors';
import { IdParam, bearer, jsonBody, problems } from './openapi';

/** Onboarding partners and watching their feed positions (operators only). */
export function partnerRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const operator = requireRole(deps.keys, 'operator');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/partners',
      summary: 'Onboard a partner; its API key is shown once',
      security: bearer,
      middleware: [operator] as const,
      request: { body: { content: { 'application/json': { schema: CreatePartner } }, required: true } },
      responses: { 201: jsonBody(CreatedPartner, 'created'), ...problems('invalid_request', 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const apiKey = generateApiKey();
      const partner = await insertPartner(deps.database.db, { ...input, keyHash: hashApiKey(apiKey) });
      deps.log.info({ partnerId: partner.id, roles: partner.roles, by: c.get('partner').id }, 'partner created');
      return c.json({ id: partner.id, name: partner.name, country: partner.country, roles: partner.roles, apiKey }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/partners',
      summary: 'Partners with their feed position',
      security: bearer,
      middleware: [operator] as const,
      responses: { 200: jsonBody(PartnerList, 'every partner'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const [{ head }, all] = await Promise.all([readHead(deps.database.db), listPartners(deps.database.db)]);
      const partners = all.map((p) => ({
        ...p,
        lag: Math.max(0, head - p.ackedSeq),
        connected: deps.connectedFeeds(p.id),
      }));
      return c.json({ head, partners }, 200);
    },
  );
  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/partners/{id}/${verb}`,
        summary: disabled ? 'Disable a partner: its key stops working and its open feeds close (4001) on every node' : 'Enable a disabled partner',
        security: bearer,
        middleware: [operator] as const,
        request: { params: IdParam },
        responses: { 200: jsonBody(Partner, 'the partner'), ...problems('invalid_request', 'unauthorized', 'forbidden', 'not_found') },
      }),
      async (c) => {
        const partner = await setPartnerDisabled(deps.database.db, c.req.valid('param').id, disabled);
        if (!partner) throw new HubError('not_found', 'no such partner');
        deps.keys.clear();
        await deps.announcePartnerChange(partner.id);
        deps.log.info({ partnerId: partner.id, disabled, by: c.get('partner').id }, disabled ? 'partner disabled' : 'partner enabled');
        const { head } = await readHead(deps.database.db);
        return c.json({ ...partner, lag: Math.max(0, head - partner.ackedSeq), connected: deps.connectedFeeds(partner.id) }, 200);
      },
    );
  }
  return app;
}
