/**
 * A software authenticator for tests without a browser: one ES256 credential, WebAuthn L2 §6.1
 * authenticator data, attestation `none`, answers serialised as @simplewebauthn/browser does.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { relyingPartyOf } from '../../src/users/passkeys.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest();
export const UP = 0x01;
export const UV = 0x04;
export const BE_BS = 0x18;

/** A software authenticator holding one ES256 credential, for the relying party of `issuer`. */
export function softAuthenticator(issuer: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
  const id = randomBytes(16);
  const counter = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const rp = relyingPartyOf(issuer, 'Test');
  return {
    credentialId: b64(id),
    publicKey: b64(cose),
    key: privateKey as KeyObject,
    /** navigator.credentials.create()'s answer, as @simplewebauthn/browser serialises it. */
    register(challenge: string, o: { flags?: number; origin?: string } = {}): string {
      const authData = Buffer.concat([sha(rp.id), Buffer.from([(o.flags ?? UP | UV) | 0x40]), counter(0), Buffer.alloc(16), Buffer.from([0, id.length]), id, Buffer.from(cose)]);
      const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]) as never);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge, origin: o.origin ?? rp.origin, crossOrigin: false }));
      return JSON.stringify({ id: b64(id), rawId: b64(id), type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: b64(clientDataJSON), attestationObject: b64(attestationObject), transports: ['internal'] } });
    },
    /** navigator.credentials.get()'s answer. */
    assert(o: { challenge: string; counter: number; flags?: number; origin?: string; rpId?: string; userHandle?: string }): string {
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: o.challenge, origin: o.origin ?? rp.origin, crossOrigin: false }));
      const authData = Buffer.concat([sha(o.rpId ?? rp.id), Buffer.from([o.flags ?? UP | UV]), counter(o.counter)]);
      const signature = sign('sha256', Buffer.concat([authData, sha(clientDataJSON)]), privateKey);
      return JSON.stringify({ id: b64(id), rawId: b64(id), type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: b64(clientDataJSON), authenticatorData: b64(authData), signature: b64(signature), userHandle: o.userHandle } });
    },
  };
}
export type SoftAuthenticator = ReturnType<typeof softAuthenticator>;
