import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Problem } from '../../schemas/common';

/** Every error code the API answers with, and its HTTP status. Codes are stable: clients switch on them. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  empty_batch: 400,
  invalid_number: 400,
  invalid_idempotency_key: 400,
  invalid_pattern: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  pattern_revoked: 409,
  dispute_closed: 409,
  resync_required: 410,
  payload_too_large: 413,
  batch_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  not_in_holdings: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  invalid_request: 'The request is not valid',
  invalid_json: 'The body is not valid JSON',
  empty_batch: 'The batch holds no indicators',
  invalid_number: 'The number cannot be parsed',
  invalid_idempotency_key: 'The Idempotency-Key header is not valid',
  invalid_pattern: 'The pattern cannot be normalized',
  pattern_revoked: 'The pattern is revoked',
  dispute_closed: 'The dispute is already resolved',
  not_in_holdings: 'The pattern is not inside the ranges this partner holds',
  unauthorized: 'A valid API key is required',
  forbidden: 'This API key may not do that',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  not_acceptable: 'No acceptable representation',
  resync_required: 'The position is outside the change log; take a snapshot',
  payload_too_large: 'The body is too large',
  batch_too_large: 'The batch holds too many indicators',
  unsupported_media_type: 'Unsupported content type',
  idempotency_key_reused: 'The Idempotency-Key was used for a different request',
  rate_limited: 'Too many requests',
  internal: 'Internal error',
  unavailable: 'The hub is not available',
};

/** The one error the hub throws on purpose; rendered as RFC 9457 problem+json. */
export class HubError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extra: { errors?: Problem['errors']; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? TITLES[code]);
    this.status = ERROR_STATUS[code];
  }
}

/** The problem document for a code. */
export function problem(code: ErrorCode, detail?: string, errors?: Problem['errors']): Problem {
  return {
    type: `urn:fraud-hub:problem:${code}`,
    title: TITLES[code],
    status: ERROR_STATUS[code],
    code,
    ...(detail ? { detail } : {}),
    ...(errors?.length ? { errors } : {}),
  };
}

/** Writes a problem+json answer. */
export function problemResponse(code: ErrorCode, detail?: string, errors?: Problem['errors'], headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(problem(code, detail, errors)), {
    status: ERROR_STATUS[code],
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** Turns zod issues into the `errors` list of a problem. */
export function issuesToErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): NonNullable<Problem['errors']> {
  return issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** The error for a request that its route's zod schema refused. */
export function contractError(issues: readonly { path: readonly PropertyKey[]; message: string }[]): HubError {
  return new HubError('invalid_request', 'the request does not match the contract', { errors: issuesToErrors(issues) });
}

/**
 * The app's error handler: our own errors as they are, Hono's HTTP exceptions mapped to a code,
 * anything else logged and answered 500 without internals.
 */
export function handleError(err: Error, log: (err: Error) => void): Response {
  if (err instanceof HubError) return problemResponse(err.code, err.message, err.extra.errors, err.extra.headers);
  if (err instanceof HTTPException) {
    const code = codeForStatus(err.status);
    if (code !== 'internal') return problemResponse(code, err.message || undefined);
  }
  log(err);
  return problemResponse('internal');
}

function codeForStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(([, s]) => s === status);
  return found ? found[0] : 'internal';
}
