import type { Context } from 'hono';
import type { AppEnv } from '../http/env';
import type { Actor } from '../store/lifecycle';
import type { AppDeps } from './deps';

/** The authenticated partner as a lifecycle operation's actor, with the hub's clock and rules. */
export function actorOf(c: Context<AppEnv>, deps: AppDeps): Actor & { partnerId: string } {
  const p = c.get('partner');
  return { partnerId: p.id, isOperator: p.roles.includes('operator'), now: deps.clock().toISOString(), rules: deps.settings.rules };
}
