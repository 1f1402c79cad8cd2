import type { PartnerRecord } from '../store/partners';

/** Hono's typing of what middleware leaves on the context. */
export interface AppEnv {
  Variables: {
    partner: PartnerRecord;
    requestId: string;
  };
}
