/** The hub's TypeScript SDK. */
export { HubClient, filterQuery, type HubClientOptions, type SubmitOptions, type SubmitSummary } from './client';
export { BlockList, type CheckResult } from './blockList';
export { Subscription, type SubscribeOptions, type SubscriptionStatus } from './subscription';
export { HubApiError, HubUnreachableError, ResyncRequiredError } from './errors';
export { DEFAULT_RETRY, type RetryPolicy } from './retry';
export type * from '../../../schemas/index';
