/** RFC 7591 metadata to the client service's fields (src/provider/registration/metadata.ts), and OIDC Registration §2's application_type rule. */
import { describe, expect, it } from 'vitest';
import { applicationTypeProblem } from '../../src/clients/redirect-uri.js';
import { describeProblem, serviceInput } from '../../src/provider/registration/metadata.js';

describe('serviceInput', () => {
  it('reads only the RFC 7591 members it knows, with their defaults; provider flags never pass', () => {
    const input = serviceInput({ redirect_uris: ['https://rp.example/cb'], admin: true, firstParty: true, first_party: true, requireMfa: true, id: 'x', client_id: 'x', scope: 'admin', allowedOrigins: ['https://e.example'] }, 'none');
    expect(input).toEqual({
      name: 'Unnamed client',
      redirectUris: ['https://rp.example/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      postLogoutRedirectUris: [],
      clientUri: null,
      logoUri: null,
      applicationType: 'web',
      jwks: null,
      jwksUri: null,
      requireDpop: false,
      tokenEndpointAuthMethod: 'none',
    });
  });

  it('no response type by default for a client without the code grant; the method absent when not given nor defaulted', () => {
    const input = serviceInput({ grant_types: ['client_credentials'] }, undefined);
    expect(input.responseTypes).toEqual([]);
    expect(input).not.toHaveProperty('tokenEndpointAuthMethod');
  });
});

describe('describeProblem', () => {
  it('names the RFC 7591 member the client sent', () => {
    expect(describeProblem('redirectUris: redirect URI "x": must be an absolute URI')).toBe('redirect_uris: redirect URI "x": must be an absolute URI');
    expect(describeProblem('tokenEndpointAuthMethod: nope')).toBe('token_endpoint_auth_method: nope');
    expect(describeProblem('something else')).toBe('something else');
  });
});

describe('applicationTypeProblem', () => {
  it('web, code flow: https, or http on loopback; never an app scheme', () => {
    for (const uri of ['https://rp.example/cb', 'http://127.0.0.1:8080/cb', 'http://localhost:33418/callback', 'https://localhost/cb']) expect(applicationTypeProblem('web', uri), uri).toBeUndefined();
    for (const uri of ['com.example.app:/cb', 'com.example.app://cb']) expect(applicationTypeProblem('web', uri), uri).toBeDefined();
  });
  it('web with the implicit grant: https off localhost only (OIDC Registration §2)', () => {
    expect(applicationTypeProblem('web', 'https://rp.example/cb', true)).toBeUndefined();
    for (const uri of ['http://127.0.0.1:8080/cb', 'https://localhost/cb', 'https://app.localhost/cb', 'https://[::1]/cb', 'com.example.app:/cb']) expect(applicationTypeProblem('web', uri, true), uri).toBeDefined();
  });
  it('native: app schemes, loopback http and https', () => {
    for (const uri of ['com.example.app:/cb', 'http://127.0.0.1:8080/cb', 'https://rp.example/cb']) expect(applicationTypeProblem('native', uri), uri).toBeUndefined();
  });
});
