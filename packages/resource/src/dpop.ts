/**
 * Checking a DPoP proof (RFC 9449 §4.3), for the authorization server's token endpoint and for
 * resource servers alike: one compact JWS whose header carries the public key that signs it
 * (`jwk`, never a private one), `typ` dpop+jwt, an asymmetric algorithm of the allow-list, the
 * request's method (`htm`) and URI (`htu`, without query and fragment), an `iat` within a window,
 * a `jti` never seen before in that window, the access token's hash (`ath`) when one is presented,
 * the key the token is bound to (`cnf.jkt`, RFC 9449 §6), and the server's nonce when it asks for
 * one (§8, §9). Every refusal is a BearerError `invalid_dpop_proof` or `use_dpop_nonce`; the
 * description names the failed check, never the proof's contents.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type JWK, type JWTPayload } from 'jose';
import { BearerError } from './errors.js';
import { ASYMMETRIC_ALGORITHMS, JwsInvalid, verifyJwsSignature } from './jws.js';

/** Remembers the proofs seen, so that each is accepted once (RFC 9449 §11.1). */
export interface DpopReplayCache {
  /**
   * Records `key` (the key's thumbprint and the proof's `jti`) until `expiresAt` (ms since the
   * epoch); true when it was not recorded before. Shared between instances, it must decide
   * atomically (one conditional insert).
   */
  spend(key: string, expiresAt: number): Promise<boolean> | boolean;
}

export interface DpopProofOptions {
  /** The request's method (`htm`, RFC 9449 §4.2), e.g. `POST`. */
  method: string;
  /** The request's URI (`htu`): absolute; its query and fragment are ignored (§4.3 step 9). */
  url: string;
  /** The access token sent with the proof: `ath` must be its SHA-256 (§4.3 step 11). */
  accessToken?: string;
  /** The thumbprint (RFC 7638) the access token is bound to (`cnf.jkt`): the proof's key must have it (§6.1). */
  jkt?: string;
  /** Where proofs are remembered (required: without it a stolen proof could be replayed). */
  replay: DpopReplayCache;
  /**
   * The server's nonce policy (§8, §9): given the proof's `nonce` (undefined when it has none),
   * whether it is current. Absent: nonces are not required, and one sent is ignored.
   */
  checkNonce?: (nonce: string | undefined) => boolean | Promise<boolean>;
  /** Allowed algorithms (default: every asymmetric JWS algorithm). */
  algorithms?: readonly string[];
  /** How old a proof may be, in seconds (default 60). */
  maxAge?: number;
  /** Seconds a proof's `iat` may lie in the future (clock skew, default 5). */
  clockTolerance?: number;
  /** The current time in ms (default: the system clock), for tests. */
  now?: () => number;
  /** Refuse proofs longer than this many characters before parsing them (default 8192). */
  maxLength?: number;
}

export interface VerifiedDpopProof {
  /** The SHA-256 JWK thumbprint of the proof's key (RFC 7638): what `cnf.jkt` holds. */
  jkt: string;
  jti: string;
  iat: number;
  /** The nonce the proof carried, if any. */
  nonce?: string;
  /** The proof's public key, as sent. */
  jwk: JWK;
}

/** Members of a private JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2) that a proof's key must not carry. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const invalid = (why: string) => new BearerError('invalid_dpop_proof', why);

/** The value of `ath` (§4.2) or of a proof's hash for an access token: base64url(SHA-256(ASCII)). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * The single `DPoP` header of a request (§4.3 steps 1–2): `undefined` when there is none; more
 * than one, or one that is not a compact JWS, is an error. Pass every value the framework saw
 * (Node joins repeated headers with ", ", which a compact JWS never contains).
 */
export function dpopFromHeaders(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : value;
  if (values.length === 0) return undefined;
  if (values.length > 1 || values[0]!.includes(',')) throw invalid('send exactly one DPoP header');
  return values[0]!.trim();
}

/** The request URI without query and fragment, normalised as RFC 3986 §6.2.2–6.2.3 (WHATWG URL). */
function targetUri(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

export async function verifyDpopProof(proof: string, options: DpopProofOptions): Promise<VerifiedDpopProof> {
  const maxLength = options.maxLength ?? 8192;
  if (typeof proof !== 'string' || proof.length === 0) throw invalid('the DPoP proof is missing');
  if (proof.length > maxLength) throw invalid(`the DPoP proof is longer than ${maxLength} characters`);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) throw invalid('the DPoP proof is not a compact JWS');
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS;

  let jwk: JWK | undefined;
  let header: Record<string, unknown>;
  let payload: JWTPayload;
  try {
    ({ header, payload } = await verifyJwsSignature(proof, async (h) => {
      // §4.3 steps 4, 6: the type, and a public key in the header that is the one that signs.
      if (typeof h.typ !== 'string' || h.typ.toLowerCase() !== 'dpop+jwt') throw invalid('the DPoP proof\'s typ is not dpop+jwt');
      const candidate = (h as { jwk?: unknown }).jwk;
      if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) throw invalid('the DPoP proof has no jwk header');
      if (PRIVATE_MEMBERS.some((m) => m in candidate)) throw invalid('the DPoP proof\'s jwk is a private key');
      jwk = candidate as JWK;
      try {
        return await importJWK({ ...jwk, ext: true }, h.alg);
      } catch {
        throw invalid('the DPoP proof\'s jwk is not a key for its alg');
      }
    }, algorithms));
  } catch (e) {
    if (e instanceof BearerError) throw e;
    if (e instanceof JwsInvalid) {
      if (e.reason === 'alg') throw invalid(`the DPoP proof's alg is not one of ${algorithms.join(', ')}`);
      if (e.reason === 'signature') throw invalid('the DPoP proof\'s signature does not verify');
      if (e.reason === 'key') throw invalid('the DPoP proof\'s jwk does not fit its alg');
      if (e.reason === 'extension') throw invalid('the DPoP proof uses a JWS extension');
      throw invalid('the DPoP proof\'s header or payload is not a JSON object');
    }
    throw invalid('the DPoP proof is invalid');
  }
  void header;

  // §4.3 step 3: the claims every proof has.
  const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalid('the DPoP proof\'s jti is missing or malformed');
  if (typeof htm !== 'string' || htm !== options.method) throw invalid('the DPoP proof\'s htm is not this request\'s method');
  const expected = targetUri(options.url);
  if (typeof htu !== 'string' || expected === undefined || targetUri(htu) !== expected) throw invalid('the DPoP proof\'s htu is not this request\'s URI');

  // §4.3 step 11 (iat window); a NumericDate (RFC 7519 §2) that is a sane number.
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('the DPoP proof\'s iat is missing or not a NumericDate');
  const now = (options.now?.() ?? Date.now()) / 1000;
  const tolerance = options.clockTolerance ?? 5;
  const maxAge = options.maxAge ?? 60;
  if (iat > now + tolerance) throw invalid('the DPoP proof was issued in the future');
  if (iat < now - maxAge - tolerance) throw invalid('the DPoP proof is too old');

  // §4.3 step 12, §7.1: the access token's hash and its binding.
  if (options.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== accessTokenHash(options.accessToken)) throw invalid('the DPoP proof\'s ath does not match the access token');
  }
  const thumbprint = await calculateJwkThumbprint(jwk!, 'sha256');
  if (options.jkt !== undefined && thumbprint !== options.jkt) throw invalid('the DPoP proof is signed by another key than the access token is bound to');

  // §4.3 step 10 (§8, §9): the server's nonce, before the proof is spent, so that the retry with
  // the nonce (a new proof, a new jti) is not counted as a replay of this one.
  if (nonce !== undefined && typeof nonce !== 'string') throw invalid('the DPoP proof\'s nonce is malformed');
  if (options.checkNonce && !(await options.checkNonce(nonce))) {
    throw new BearerError('use_dpop_nonce', nonce === undefined ? 'the authorization server requires a DPoP nonce' : 'the DPoP nonce is not current; use the one in the DPoP-Nonce header');
  }

  // §11.1: each proof once, for as long as its iat would be accepted.
  const expiresAt = (iat + maxAge + tolerance) * 1000;
  if (!(await options.replay.spend(`${thumbprint}:${jti}`, expiresAt))) throw invalid('the DPoP proof has been used before');

  return { jkt: thumbprint, jti, iat, ...(nonce !== undefined ? { nonce } : {}), jwk: jwk! };
}

/**
 * A replay cache in this process's memory, for one instance: at most `maxEntries` proofs within
 * their window. When it is full of proofs still in their window, a new proof is refused rather
 * than an old one forgotten (forgetting would let that one be replayed). Several instances need a
 * shared cache instead.
 */
export function memoryDpopReplayCache(options: { maxEntries?: number; now?: () => number } = {}): DpopReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    spend(key, expiresAt) {
      const t = now();
      const until = seen.get(key);
      if (until !== undefined && until > t) return false;
      if (seen.size >= maxEntries) {
        for (const [k, exp] of seen) if (exp <= t) seen.delete(k);
        if (seen.size >= maxEntries) throw invalid('too many DPoP proofs at once; try again shortly');
      }
      seen.set(key, expiresAt);
      return true;
    },
  };
}
