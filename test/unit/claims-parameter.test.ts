/**
 * The `claims` parameter's parsing (OIDC Core §5.5; src/provider/authorization/claims-parameter.ts):
 * what is kept of it, what is refused, and how its acr joins `acr_values`. The flows themselves:
 * test/e2e/openid-client-claims.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { acrSatisfied, claimScopes, claimsParameter, grantedClaims, withRequestedAcr } from '../../src/provider/authorization/claims-parameter.js';
import { OAuthError } from '../../src/provider/errors.js';

const MFA = 'urn:jwt-oidc:mfa';
const refused = (raw: string) => {
  try {
    claimsParameter(raw);
  } catch (e) {
    return e instanceof OAuthError ? e.error : 'other';
  }
  return 'accepted';
};

describe('CL-02 CL-06 the claims parameter, parsed', () => {
  it('keeps the releasable claims of each member, sorted; ignores unknown claims, members and request members', () => {
    const parsed = claimsParameter(JSON.stringify({
      userinfo: { email: null, phone_number: { essential: true, value: 'x', extra: 1 }, nickname: null, sub: null, iss: null },
      id_token: { locale: { values: ['en'] }, given_name: null, auth_time: { essential: true }, constructor: null, 'urn:x': {} },
      other: 1,
    }));
    expect(parsed).toEqual({ userinfo: ['email', 'phone_number'], idToken: ['given_name', 'locale'] });
    expect(claimScopes(parsed)).toEqual(['email', 'phone', 'profile']);
    expect(grantedClaims(parsed)).toEqual({ userinfo: ['email', 'phone_number'], id_token: ['given_name', 'locale'] });
    expect(claimsParameter('{"id_token":{"__proto__":{"essential":true},"email":null}}')).toEqual({ userinfo: [], idToken: ['email'] });
    expect(claimsParameter(undefined)).toBeUndefined();
    expect(grantedClaims(claimsParameter('{}'))).toBeNull();
    expect(claimScopes(undefined)).toEqual([]);
  });

  it('refuses what is not a claims request: invalid_request, never another error', () => {
    for (const raw of ['', '{', '[]', 'null', '1', '"x"', '{"userinfo":[]}', '{"userinfo":"x"}', '{"id_token":null}', '{"id_token":{"email":1}}', '{"id_token":{"email":[]}}', '{"userinfo":{"email":{"essential":1}}}', '{"userinfo":{"email":{"values":{}}}}', `{"userinfo":{"email":{"values":[${'1,'.repeat(20)}1]}}}`, `{"userinfo":{${Array.from({ length: 51 }, (_, i) => `"c${i}":null`).join(',')}}}`, '{"id_token":{"acr":{"value":1}}}', '{"id_token":{"acr":{"values":["ok","a b"]}}}', `{"id_token":{"acr":{"value":"${'x'.repeat(256)}"}}}`, `{"x":"${'x'.repeat(4096)}"}`]) {
      expect(refused(raw), raw.slice(0, 50)).toBe('invalid_request');
    }
    // Within the limit, an unknown member is ignored however it is nested.
    expect(refused(`{"x":"${'x'.repeat(4000)}"}`)).toBe('accepted');
    expect(refused(`{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`)).toBe('accepted');
  });

  it('CL-07 CL-08 an acr request: its values join acr_values first; essential without values asks for the second factor; voluntary is always met', () => {
    const essential = claimsParameter(JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:a', MFA] } } }));
    expect(essential?.acr).toEqual({ essential: true, values: ['urn:a', MFA] });
    expect(withRequestedAcr(['urn:b', MFA], essential)).toEqual(['urn:a', MFA, 'urn:b']);
    expect(acrSatisfied(essential, MFA)).toBe(true);
    expect(acrSatisfied(essential, 'urn:b')).toBe(false);
    expect(acrSatisfied(essential, null)).toBe(false);

    const any = claimsParameter('{"id_token":{"acr":{"essential":true}}}');
    expect(withRequestedAcr(undefined, any)).toEqual([MFA]);
    expect(acrSatisfied(any, 'urn:anything')).toBe(true);
    expect(acrSatisfied(any, null)).toBe(false);

    const voluntary = claimsParameter('{"id_token":{"acr":{"value":"urn:gold"}}}');
    expect(withRequestedAcr(undefined, voluntary)).toEqual(['urn:gold']);
    expect(acrSatisfied(voluntary, null)).toBe(true);
    expect(withRequestedAcr(undefined, claimsParameter('{"id_token":{"acr":null}}'))).toBeUndefined();
    // acr is asked of the ID token (§5.5.1.1); in userinfo it is no request at all.
    expect(claimsParameter('{"userinfo":{"acr":{"essential":true,"value":"x"}}}')?.acr).toBeUndefined();
    expect(withRequestedAcr(['urn:b'], undefined)).toEqual(['urn:b']);
    // Its values are bounded as acr_values is, alone and together with it (RC-05).
    const long = Array.from({ length: 11 }, (_, i) => `urn:${i}:${'x'.repeat(90)}`);
    expect(refused(JSON.stringify({ id_token: { acr: { values: long } } }))).toBe('invalid_request');
    const half = claimsParameter(JSON.stringify({ id_token: { acr: { values: long.slice(0, 6) } } }));
    expect(() => withRequestedAcr(long.slice(6), half)).toThrow(/too long/);
    expect(withRequestedAcr(long.slice(0, 3), half)).toHaveLength(6);
  });
});
