/**
 * Structured logs: JSON lines, readable ones on a terminal. Secrets are redacted by path as a
 * second line of defence; the first is never to put them into a log record at all.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { traceFields } from './telemetry/hooks.js';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'code',
  '*.code',
  'code_verifier',
  '*.code_verifier',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'databaseUrl',
  '*.databaseUrl',
  'smtpUrl',
  '*.smtpUrl',
  'keyEncryptionSecret',
  '*.keyEncryptionSecret',
];

/** Field names that hold secrets wherever they appear: what the log censors at the top level. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(REDACT_PATHS.filter((path) => !path.includes('.')));

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Readable output instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
  /** Where to write (default stdout); tests pass a stream to read records back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { service: 'jwt-oidc' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The ids of the active span, when tracing is on (src/telemetry/): a log line leads to its trace.
    mixin: traceFields,
  };
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  if (usePretty) {
    return pino(
      base,
      pretty({ destination: options.destination ?? 1, sync: true, translateTime: 'SYS:HH:MM:ss.l', singleLine: true, ignore: 'pid,hostname,service,requestId,method,path,status,ms', messageFormat: terminalLine }),
    );
  }
  // Synchronous writes: records stay in order and none is lost when the process exits or
  // crashes (audit events among them); one write(2) per record is cheap next to a request.
  return pino(base, (options.destination ?? pino.destination({ sync: true })) as pino.DestinationStream);
}

/**
 * One terminal line per record: a request as `GET /token 200 3.1ms`, anything else as its
 * message; the request id last, to find the JSON record of a production log.
 */
function terminalLine(log: Record<string, unknown>, messageKey: string): string {
  const message = log.msg === 'request' && typeof log.method === 'string' ? `${log.method} ${String(log.path)} ${String(log.status)} ${String(log.ms)}ms` : String(log[messageKey] ?? '');
  return typeof log.requestId === 'string' ? `${message} [${log.requestId}]` : message;
}
