/**
 * Password hashing with scrypt (RFC 7914), stored in a PHC-style string
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` so parameters can be raised later without breaking
 * existing hashes (`needsRehash`). Node's built-in scrypt runs on the libuv pool, off the event
 * loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters: N = 2^15, r = 8, p = 1 (32 MiB, about 50–100 ms on a server core). */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Longer inputs are refused: hashing megabytes on request is a denial of service. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 8;

function derive(password: string, salt: Buffer, p: { ln: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** p.ln;
  const options: ScryptOptions = { N, r: p.r, p: p.p, maxmem: 256 * N * p.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { ln, r, p } = SCRYPT_PARAMS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC.exec(stored);
  if (!m || password.length > MAX_PASSWORD_LENGTH) return false;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > 20) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const actual = await derive(password, Buffer.from(m[4]!, 'base64url'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A hash of a random password, computed once, so that a login for an unknown user costs the
 * same time as one for a known user (no user enumeration through timing).
 */
let dummy: { ln: number; hash: Promise<string> } | undefined;
export function dummyPasswordHash(): Promise<string> {
  // Made at the cost in force, so that it costs what a real user's check costs.
  if (dummy?.ln !== SCRYPT_PARAMS.ln) dummy = { ln: SCRYPT_PARAMS.ln, hash: hashPassword(randomBytes(16).toString('hex')) };
  return dummy.hash;
}

export function needsRehash(stored: string): boolean {
  const m = PHC.exec(stored);
  return !m || Number(m[1]) < SCRYPT_PARAMS.ln || Number(m[2]) !== SCRYPT_PARAMS.r;
}
