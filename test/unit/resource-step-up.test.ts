/**
 * Step-up authentication of @jwt-oidc/resource (RFC 9470): the `acr`, `amr` and `auth_time` a
 * token carries, whether they meet a resource's requirement (the `max_age` boundary on an
 * injected clock), and the `WWW-Authenticate` challenge of a refusal (§3). Plus what the fake
 * mode's page accepts as an authentication (src/fake/authentication.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  BearerError,
  InsufficientUserAuthenticationError,
  requireUserAuthentication,
  stepUpRequirement,
  unmetUserAuthentication,
  userAuthenticationOf,
} from '../../packages/resource/src/index.js';
import { acrFor, authenticationFromForm, levelFor, MFA_ACR } from '../../src/fake/authentication.js';
import { IdentityError } from '../../src/fake/identity.js';

const AUTH_TIME = 1_800_000_000;
const at = (seconds: number) => () => (AUTH_TIME + seconds) * 1000;

describe('userAuthenticationOf', () => {
  it('reads acr, amr and auth_time of verified claims', () => {
    expect(userAuthenticationOf({ acr: MFA_ACR, amr: ['pwd', 'otp'], auth_time: AUTH_TIME })).toEqual({ acr: MFA_ACR, amr: ['pwd', 'otp'], authTime: AUTH_TIME });
    expect(userAuthenticationOf({ sub: 'job' })).toEqual({});
  });

  it('treats malformed claims as absent', () => {
    expect(userAuthenticationOf({ acr: 3, amr: ['pwd', 1], auth_time: '1800000000' } as never)).toEqual({});
    expect(userAuthenticationOf({ acr: '', amr: 'pwd', auth_time: Number.NaN } as never)).toEqual({});
  });
});

describe('unmetUserAuthentication', () => {
  it('SU-01 refuses an acr that is not one of the values (or none) with 401 insufficient_user_authentication and acr_values', () => {
    for (const acr of [undefined, 'urn:jwt-oidc:pwd', 'URN:JWT-OIDC:MFA']) {
      const e = unmetUserAuthentication({ acr, authTime: AUTH_TIME }, { acrValues: [MFA_ACR] });
      expect(e).toBeInstanceOf(InsufficientUserAuthenticationError);
      expect(e).toBeInstanceOf(BearerError);
      expect(e).toMatchObject({ code: 'insufficient_user_authentication', status: 401, acrValues: [MFA_ACR] });
      expect(e!.challenge()).toBe(`Bearer error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="${MFA_ACR}"`);
    }
    expect(unmetUserAuthentication({ acr: MFA_ACR }, { acrValues: ['urn:example:loa:3', MFA_ACR] })).toBeUndefined();
    expect(unmetUserAuthentication({}, {})).toBeUndefined();
    expect(unmetUserAuthentication({}, { acrValues: [] })).toBeUndefined();
  });

  it('SU-02 holds max_age up to and including its last second, and refuses one second later with max_age', () => {
    const required = { maxAge: 300 };
    expect(unmetUserAuthentication({ authTime: AUTH_TIME }, required, at(0))).toBeUndefined();
    expect(unmetUserAuthentication({ authTime: AUTH_TIME }, required, at(300))).toBeUndefined();
    // 300.999 s is still 300 whole seconds.
    expect(unmetUserAuthentication({ authTime: AUTH_TIME }, required, () => (AUTH_TIME + 300) * 1000 + 999)).toBeUndefined();
    const late = unmetUserAuthentication({ authTime: AUTH_TIME }, required, at(301));
    expect(late).toMatchObject({ code: 'insufficient_user_authentication', maxAge: 300 });
    expect(late!.challenge('api')).toBe('Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication of the user is required", max_age="300"');
  });

  it('SU-02 refuses a token without auth_time where a max_age is demanded', () => {
    const e = unmetUserAuthentication({ acr: MFA_ACR }, { acrValues: [MFA_ACR], maxAge: 60 }, at(0));
    expect(e?.description).toBe('the access token does not say when the user authenticated');
    expect(e!.challenge()).toContain(`acr_values="${MFA_ACR}", max_age="60"`);
  });

  it('names every acceptable acr value, space-separated, and throws with requireUserAuthentication', () => {
    const e = unmetUserAuthentication({ acr: 'pwd' }, { acrValues: ['urn:a', 'urn:b'] });
    expect(e!.challenge(undefined, 'https://api.example/.well-known/oauth-protected-resource')).toBe(
      'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="urn:a urn:b"',
    );
    expect(e!.body()).toEqual({ error: 'insufficient_user_authentication', error_description: 'a stronger authentication of the user is required' });
    expect(() => requireUserAuthentication({ acr: 'pwd' }, { acrValues: ['urn:a'] })).toThrow(InsufficientUserAuthenticationError);
    expect(() => requireUserAuthentication({ acr: 'urn:a' }, { acrValues: ['urn:a'] })).not.toThrow();
  });
});

describe('stepUpRequirement', () => {
  it('takes a list of acr values or the full form, and refuses values a challenge cannot carry', () => {
    expect(stepUpRequirement([MFA_ACR])).toEqual({ acrValues: [MFA_ACR] });
    expect(stepUpRequirement({ acrValues: [MFA_ACR], maxAge: 0 })).toEqual({ acrValues: [MFA_ACR], maxAge: 0 });
    expect(() => stepUpRequirement({ maxAge: -1 })).toThrow(TypeError);
    expect(() => stepUpRequirement({ maxAge: 1.5 })).toThrow(TypeError);
    expect(() => stepUpRequirement(['a b'])).toThrow(TypeError);
    expect(() => stepUpRequirement(['a"b'])).toThrow(TypeError);
  });
});

describe("the fake mode's authentication", () => {
  const fieldOf = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(IdentityError);
      return (e as IdentityError).field;
    }
  };

  it('gives each level its acr and amr; typed ones replace them', () => {
    expect(authenticationFromForm({})).toEqual({ acr: null, amr: [] });
    expect(authenticationFromForm({ level: 'password' })).toEqual({ acr: null, amr: ['pwd'] });
    expect(authenticationFromForm({ level: 'mfa' })).toEqual({ acr: MFA_ACR, amr: ['pwd', 'otp'] });
    expect(authenticationFromForm({ level: 'toString' })).toEqual({ acr: null, amr: [] });
    expect(authenticationFromForm({ level: 'password', acr: ' urn:example:loa:3 ', amr: 'hwk, pin,,' })).toEqual({ acr: 'urn:example:loa:3', amr: ['hwk', 'pin'] });
  });

  it('SU-04 refuses an acr or amr that a header could not carry as it is', () => {
    expect(fieldOf(() => authenticationFromForm({ acr: 'urn:a", x="y' }))).toBe('acr');
    expect(fieldOf(() => authenticationFromForm({ acr: 'urn:a\\' }))).toBe('acr');
    expect(fieldOf(() => authenticationFromForm({ acr: 'a'.repeat(256) }))).toBe('acr');
    expect(fieldOf(() => authenticationFromForm({ amr: 'pwd, o"tp' }))).toBe('amr');
    expect(fieldOf(() => authenticationFromForm({ amr: 'two words' }))).toBe('amr');
    expect(fieldOf(() => authenticationFromForm({ amr: Array.from({ length: 11 }, (_, i) => `m${i}`).join(',') }))).toBe('amr');
  });

  it("preselects the level and prefills the acr from the request's acr_values", () => {
    expect([levelFor(undefined), acrFor(undefined)]).toEqual(['none', undefined]);
    expect([levelFor([MFA_ACR]), acrFor([MFA_ACR])]).toEqual(['mfa', undefined]);
    expect([levelFor(['urn:x', MFA_ACR]), acrFor(['urn:x', MFA_ACR])]).toEqual(['mfa', undefined]);
    expect([levelFor(['urn:example:loa:2']), acrFor(['urn:example:loa:2'])]).toEqual(['none', 'urn:example:loa:2']);
  });
});
