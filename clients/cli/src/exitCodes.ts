import { HubApiError, HubUnreachableError } from '../../sdk/src/index';

/** The `hub` command's exit codes; scripts may switch on them. */
export const EXIT = {
  ok: 0,
  /** Some rows were rejected, or the hub answered an error that is not about auth. */
  failed: 1,
  /** Bad flags or arguments, a missing file. */
  usage: 2,
  /** The hub cannot be reached, or it refused the key (401/403). */
  unreachable: 3,
} as const;

/** A mistake in how the command was called: exit code 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The exit code and the one-line message for an error that ended a command. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof HubUnreachableError) return { code: EXIT.unreachable, message: `hub unreachable: ${err.message}${rootCause(err)}` };
  if (err instanceof HubApiError && err.isAuth) {
    return { code: EXIT.unreachable, message: `the hub refused the API key (${err.status} ${err.code}): ${err.message}` };
  }
  if (err instanceof HubApiError) return { code: EXIT.failed, message: `the hub answered ${err.status} ${err.code}: ${err.message}` };
  return { code: EXIT.failed, message: err instanceof Error ? err.message : String(err) };
}

/** fetch says only "fetch failed": the reason (ECONNREFUSED, ENOTFOUND, a timeout) is in its causes. */
function rootCause(err: Error): string {
  let cause: unknown = err.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  if (!(cause instanceof Error) || cause === err) return '';
  const code = (cause as NodeJS.ErrnoException).code;
  return ` (${code ?? cause.message})`;
}
