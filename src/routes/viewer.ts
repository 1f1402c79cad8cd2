import type { Context } from 'hono';
import type { Viewer } from '../domain/visibility';
import type { AppEnv } from '../http/env';
import type { PartnerRecord } from '../store/partners';

/** A partner as the visibility rules see it. */
export function viewerOfPartner(p: PartnerRecord): Viewer {
  return { partnerId: p.id, isOperator: p.roles.includes('operator'), communities: p.communities ?? [] };
}

/** The authenticated partner as the visibility rules see it. */
export function viewerOf(c: Context<AppEnv>): Viewer {
  return viewerOfPartner(c.get('partner'));
}
