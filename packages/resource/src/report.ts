/**
 * What a resource server tells its operator about each bearer check: the hooks `onVerified` and
 * `onRejected` (for counters and metrics), and one log record per refusal with its reason code.
 * Never the token: a token in a log is a credential anyone who reads the log can replay (RFC 6750
 * §5.3: "Don't store bearer tokens ... in logs"); the caller is named by `sub` and `client_id`.
 */
import { BearerError, IssuerUnavailableError, type BearerErrorCode } from './errors.js';
import type { RemoteToken } from './remote.js';

/** Why a request was refused: an RFC 6750 code, `missing` (no token), or `issuer_unavailable` (503). */
export type RefusalReason = BearerErrorCode | 'missing' | 'issuer_unavailable';

export interface VerifiedEvent {
  issuer: string;
  sub: string;
  clientId: string;
  scopes: string[];
}

export interface RejectedEvent {
  reason: RefusalReason;
  /** What failed, as the refusal says it (never the token). */
  description: string;
  /** The HTTP status of the refusal. */
  status: number;
}

/** A pino-style logger (pino, bunyan, or `{ warn: (obj, msg) => … }`). */
export interface RefusalLogger {
  warn(obj: object, msg: string): void;
}

export interface ReportOptions {
  /** Called once per accepted token (default none). */
  onVerified?: (event: VerifiedEvent) => void;
  /** Called once per refused request (default none). */
  onRejected?: (event: RejectedEvent) => void;
  /** Every refusal is logged once here, at `warn`, with its reason (default: not logged). */
  logger?: RefusalLogger;
}

export interface Reporter {
  verified(token: RemoteToken): void;
  rejected(error: BearerError | IssuerUnavailableError): void;
}

/** The hooks and the log of one middleware; a hook that throws never changes the answer. */
export function reporter(options: ReportOptions): Reporter {
  const call = <T>(hook: ((event: T) => void) | undefined, event: T) => {
    try {
      hook?.(event);
    } catch {
      // A metrics hook must not turn a refusal into a 500, nor an accepted token into a refusal.
    }
  };
  return {
    verified(token) {
      call(options.onVerified, { issuer: token.issuer, sub: token.sub, clientId: token.clientId, scopes: token.scopes });
    },
    rejected(error) {
      const event: RejectedEvent =
        error instanceof IssuerUnavailableError ? { reason: 'issuer_unavailable', description: error.message, status: error.status } : { reason: error.code, description: error.description, status: error.status };
      options.logger?.warn({ reason: event.reason, status: event.status, description: event.description }, 'bearer token refused');
      call(options.onRejected, event);
    },
  };
}
