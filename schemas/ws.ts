import { z } from '@hono/zod-openapi';
import { Change, FeedFilter } from './feed';
import { Pattern } from './patterns';

/** Client → server: start the feed, from a position or (no `since`) from a snapshot. */
export const SubscribeMessage = z
  .object({
    type: z.literal('subscribe'),
    since: z.number().int().min(0).optional(),
    filter: FeedFilter.optional(),
  })
  .strict();

/** Client → server: everything up to `seq` is applied. */
export const AckMessage = z.object({ type: z.literal('ack'), seq: z.number().int().min(0) }).strict();

export const ClientMessage = z.discriminatedUnion('type', [SubscribeMessage, AckMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Server → client messages. */
export const SnapshotChunk = z.object({ type: z.literal('snapshot'), seq: z.number().int(), patterns: z.array(Pattern), last: z.boolean() });
export const LiveMessage = z.object({ type: z.literal('live'), seq: z.number().int() });
export const ChangesMessage = z.object({ type: z.literal('changes'), seq: z.number().int(), changes: z.array(Change) });
export const PositionMessage = z.object({ type: z.literal('position'), seq: z.number().int() });
export const ErrorMessage = z.object({ type: z.literal('error'), code: z.string(), message: z.string().optional() });

export const ServerMessage = z.discriminatedUnion('type', [SnapshotChunk, LiveMessage, ChangesMessage, PositionMessage, ErrorMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** WebSocket close codes the hub uses. */
export const CLOSE_CODES = {
  /** The key is not (or no longer) valid: the partner was disabled. */
  unauthorized: 4001,
  /** The client did not read fast enough: its send buffer passed the bound. Resume from the last seq. */
  tooSlow: 4008,
  /** A message the hub cannot accept. */
  badMessage: 4400,
  /** The hub node is shutting down; reconnect (to another node). */
  goingAway: 1001,
} as const;
