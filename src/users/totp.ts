/**
 * Time-based one-time passwords (RFC 6238) with otplib: the parameters every authenticator app
 * reads from an otpauth URI without asking — HMAC-SHA-1, 6 digits, 30-second steps (RFC 6238
 * §4, §5.1) — and time from the service's clock, never the machine's directly.
 */
import { generateSecret, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';

/** RFC 6238 §5.2 recommends 30 seconds. */
export const TOTP_PERIOD_SECONDS = 30;

/**
 * One step either side of now (RFC 6238 §5.2: "at most one time step is allowed as the network
 * delay"; and a phone's clock a little off): codes of steps −1, 0 and +1 are accepted.
 */
const WINDOW_STEPS = 1;

/** A new shared secret: 20 random bytes (160 bits, RFC 4226 §4 R6), base32 as apps expect it. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth URI an authenticator app scans: `issuer` names the service in the app, `label` the account. */
export function totpUri(issuer: string, label: string, secret: string): string {
  return generateURI({ issuer, label, secret, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_SECONDS });
}

/** The URI as a QR code, an SVG document (shown as an image: no script, no external reference). */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * The time step `code` belongs to, within the window around `nowMs`, or undefined. The caller
 * makes sure a step is accepted once (src/users/factor-store.ts acceptTotpStep).
 */
export function totpStep(secret: string, code: string, nowMs: number): number | undefined {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const result = verifySync({ secret, token, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_SECONDS, epoch: Math.floor(nowMs / 1000), epochTolerance: WINDOW_STEPS * TOTP_PERIOD_SECONDS });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
