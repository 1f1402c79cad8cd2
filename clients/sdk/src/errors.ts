/** An answer from the hub that was not 2xx: the problem+json `code` says why. */
export class HubApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'HubApiError';
  }

  /** 401/403: the key is wrong or lacks the role; retrying will not help. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The position is outside the hub's change log: take a snapshot. */
export class ResyncRequiredError extends HubApiError {
  constructor(message: string) {
    super(410, 'resync_required', message);
    this.name = 'ResyncRequiredError';
  }
}

/** The hub could not be reached (connection refused, reset, timed out). */
export class HubUnreachableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'HubUnreachableError';
  }
}
