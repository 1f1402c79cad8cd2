import type { Context } from 'hono';
import type { Viewer } from '../domain/visibility';
import type { AppEnv } from '../http/env';

/** The authenticated partner as the visibility rules see it. */
export function viewerOf(c: Context<AppEnv>): Viewer {
  const p = c.get('partner');
  return { partnerId: p.id, isOperator: p.roles.includes('operator'), communities: p.communities ?? [] };
}
