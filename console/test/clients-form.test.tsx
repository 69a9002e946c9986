/** The client form's data: client → form → CreateClientInput / ClientMetadataInput, and the checks made before asking the server. */
import { describe, expect, it } from 'vitest';
import { claimRow, createInput, emptyClientForm, fieldMessage, formOf, lines, placeProblems, restrictionRow, textOrNull, updateInput, validate, type ClientData, type ClientForm } from '../src/pages/clients/form';

const billing: ClientData = {
  id: 'billing',
  name: 'Billing',
  public: false,
  redirectUris: ['https://billing.example/cb', 'https://billing.example/cb2'],
  postLogoutRedirectUris: ['https://billing.example/'],
  allowedOrigins: [],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  responseTypes: ['code'],
  firstParty: true,
  admin: false,
  requireMfa: false,
  requirePar: false,
  requireDpop: false,
  tokenEndpointAuthMethod: 'client_secret_basic',
  jwks: null,
  jwksUri: null,
  logoutAll: true,
  backchannelLogoutUri: null,
  clientUri: 'https://billing.example',
  logoUri: null,
  idTokenSignedResponseAlg: 'RS256',
  extraIdTokenClaims: [{ claim: 'nick', field: 'givenName', scope: 'profile' }],
  userRestrictions: [{ field: 'email', equals: 'intern@example.com' }],
  audiences: ['https://api.example'],
};

const filled = (change: Partial<ClientForm> = {}): ClientForm => ({ ...emptyClientForm(), name: 'Shop', redirectUris: ['https://shop.example/cb'], ...change });

describe('a new client', () => {
  it('starts from the service defaults: confidential, code flow with refresh, logout ends the provider session', () => {
    const form = emptyClientForm();
    expect(form).toMatchObject({ public: false, grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'], logoutAll: true, firstParty: false, admin: false, idTokenSignedResponseAlg: '' });
  });

  it('becomes a CreateClientInput: trimmed, blank lines dropped, empty text as null, no id for a random one', () => {
    const input = createInput(
      filled({
        name: '  Shop  ',
        redirectUris: ['', ' https://shop.example/cb ', '', 'com.example.shop:/cb', ''],
        postLogoutRedirectUris: ['   '],
        allowedOrigins: ['https://shop.example'],
        clientUri: '   ',
        logoUri: ' https://shop.example/logo.png ',
        audiences: ['https://api.example', '', 'https://api.example'],
      }),
    );
    expect(input).toEqual({
      public: false,
      name: 'Shop',
      redirectUris: ['https://shop.example/cb', 'com.example.shop:/cb'],
      postLogoutRedirectUris: [],
      allowedOrigins: ['https://shop.example'],
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      firstParty: false,
      admin: false,
      requireMfa: false,
      requirePar: false,
      requireDpop: false,
      logoutAll: true,
      backchannelLogoutUri: null,
      clientUri: null,
      logoUri: 'https://shop.example/logo.png',
      idTokenSignedResponseAlg: null,
      extraIdTokenClaims: [],
      userRestrictions: [],
      audiences: ['https://api.example'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
      jwksUri: null,
    });
    expect('id' in input).toBe(false);
  });

  it('carries the chosen id, the public flag, the algorithm and the rows as the schema wants them', () => {
    const input = createInput(
      filled({
        id: ' shop-spa ',
        public: true,
        grantTypes: ['refresh_token', 'authorization_code'],
        idTokenSignedResponseAlg: 'EdDSA',
        extraIdTokenClaims: [claimRow({ claim: ' nick ', field: 'givenName', scope: ' profile ' }), claimRow({ claim: '', scope: '' })],
        userRestrictions: [restrictionRow({ field: 'username', equals: ' mallory ' }), restrictionRow({ equals: '  ' })],
      }),
    );
    expect(input).toMatchObject({
      id: 'shop-spa',
      public: true,
      // In the order of the options, whatever the order of the clicks.
      grantTypes: ['authorization_code', 'refresh_token'],
      idTokenSignedResponseAlg: 'EdDSA',
      extraIdTokenClaims: [{ claim: 'nick', field: 'givenName', scope: 'profile' }],
      userRestrictions: [{ field: 'username', equals: 'mallory' }],
    });
  });
});

describe('an existing client', () => {
  it('fills the form with its values; saving it unchanged changes nothing', () => {
    const form = formOf(billing);
    expect(form).toMatchObject({ id: 'billing', name: 'Billing', clientUri: 'https://billing.example', logoUri: '', backchannelLogoutUri: '', idTokenSignedResponseAlg: 'RS256' });
    expect(form.extraIdTokenClaims).toEqual([expect.objectContaining({ claim: 'nick', field: 'givenName', scope: 'profile' })]);
    expect(form.userRestrictions).toEqual([expect.objectContaining({ field: 'email', equals: 'intern@example.com' })]);
    expect(updateInput(form, billing)).toEqual({});
    // Blank lines and stray spaces are no change either.
    expect(updateInput({ ...form, redirectUris: [...form.redirectUris, '', ' '], name: 'Billing ' }, billing)).toEqual({});
  });

  it('sends only the fields that changed, a list whole, a cleared URI as null, the default algorithm as null', () => {
    const form = formOf(billing);
    expect(updateInput({ ...form, redirectUris: ['https://billing.example/cb'] }, billing)).toEqual({ redirectUris: ['https://billing.example/cb'] });
    expect(updateInput({ ...form, clientUri: '' }, billing)).toEqual({ clientUri: null });
    expect(updateInput({ ...form, idTokenSignedResponseAlg: '' }, billing)).toEqual({ idTokenSignedResponseAlg: null });
    expect(updateInput({ ...form, firstParty: false, logoutAll: false }, billing)).toEqual({ firstParty: false, logoutAll: false });
    expect(updateInput({ ...form, extraIdTokenClaims: [...form.extraIdTokenClaims, claimRow({ claim: 'locale', field: 'locale', scope: 'profile' })] }, billing)).toEqual({
      extraIdTokenClaims: [
        { claim: 'nick', field: 'givenName', scope: 'profile' },
        { claim: 'locale', field: 'locale', scope: 'profile' },
      ],
    });
    expect(updateInput({ ...form, userRestrictions: [] }, billing)).toEqual({ userRestrictions: [] });
    // Neither the id nor the public flag can change.
    expect(Object.keys(updateInput({ ...form, id: 'other', public: true }, billing))).toEqual([]);
  });

  it('CA-11 shows a client_secret_jwt client\'s method, sends it on create, and leaves it alone when unchanged', () => {
    const mac = { ...billing, tokenEndpointAuthMethod: 'client_secret_jwt' };
    const form = formOf(mac);
    expect(form.tokenEndpointAuthMethod).toBe('client_secret_jwt');
    expect(updateInput(form, mac)).toEqual({});
    expect(createInput(filled({ tokenEndpointAuthMethod: 'client_secret_jwt' }))).toMatchObject({ public: false, tokenEndpointAuthMethod: 'client_secret_jwt', jwks: null, jwksUri: null });
    expect(validate(filled({ tokenEndpointAuthMethod: 'client_secret_jwt' }), 'create')).toEqual({});
  });
});

describe('the checks before asking the server', () => {
  it('accept a complete form, and a machine-to-machine client without redirect URIs', () => {
    expect(validate(filled(), 'create')).toEqual({});
    expect(validate(formOf(billing), 'edit')).toEqual({});
    expect(validate(filled({ redirectUris: [''], grantTypes: ['client_credentials'], responseTypes: [] }), 'create')).toEqual({});
  });

  it('refuse what the service would refuse for the obvious reasons, by field', () => {
    expect(validate(filled({ name: '   ' }), 'create')).toEqual({ name: expect.stringMatching(/name/) });
    expect(validate(filled({ public: true, grantTypes: ['authorization_code', 'client_credentials'] }), 'create')).toEqual({ grantTypes: expect.stringMatching(/public client cannot use client_credentials/) });
    expect(validate(filled({ public: true, admin: true }), 'create')).toEqual({ admin: expect.stringMatching(/public client/) });
    expect(validate(filled({ grantTypes: [], responseTypes: [] }), 'create')).toEqual({ grantTypes: 'Choose at least one grant type.' });
    expect(validate(filled({ grantTypes: ['refresh_token'], responseTypes: [] }), 'create')).toEqual({ grantTypes: expect.stringMatching(/refresh_token needs authorization_code/) });
    // A device sign-in client (RFC 8628): no redirect URI, no response type, refresh tokens with its grant.
    expect(validate(filled({ public: true, redirectUris: [''], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], responseTypes: [] }), 'create')).toEqual({});
    expect(validate(filled({ grantTypes: ['client_credentials'], responseTypes: ['code'] }), 'create')).toEqual({ grantTypes: expect.stringMatching(/with code need the authorization_code/) });
    expect(validate(filled({ grantTypes: ['authorization_code'], responseTypes: ['code id_token'] }), 'create')).toEqual({ grantTypes: expect.stringMatching(/need the implicit grant/) });
    expect(validate(filled({ grantTypes: ['authorization_code'], responseTypes: [] }), 'create')).toEqual({ responseTypes: expect.stringMatching(/needs a response type with code/) });
    expect(validate(filled({ grantTypes: ['implicit'], responseTypes: [] }), 'create')).toEqual({ responseTypes: expect.stringMatching(/token or id_token/) });
    expect(validate(filled({ redirectUris: ['', '  '] }), 'create')).toEqual({ redirectUris: expect.stringMatching(/at least one redirect URI/) });
    expect(validate(filled({ redirectUris: ['https://shop.example/cb', ' https://shop.example/cb'] }), 'create')).toEqual({ redirectUris: expect.stringMatching(/listed twice/) });
  });

  it('leave the rules of URIs to the server: a fragment or http on a public host passes here', () => {
    expect(validate(filled({ redirectUris: ['http://evil.example/cb#x'] }), 'create')).toEqual({});
  });

  it('refuse the console’s own id and an id with spaces, only when creating', () => {
    expect(validate(filled({ id: 'jwt-oidc-console' }), 'create')).toEqual({ id: expect.stringMatching(/admin console/) });
    expect(validate(filled({ id: 'my app' }), 'create')).toEqual({ id: expect.stringMatching(/no spaces/) });
    expect(validate(filled({ id: 'jwt-oidc-console' }), 'edit')).toEqual({});
  });

  it('name the first half-filled or repeated claim row', () => {
    const rows = (...r: ReturnType<typeof claimRow>[]) => filled({ extraIdTokenClaims: r });
    expect(validate(rows(claimRow({ claim: '', scope: '' })), 'create')).toEqual({});
    expect(validate(rows(claimRow({ claim: 'nick', scope: 'profile' }), claimRow({ claim: '', scope: 'profile' })), 'create')).toEqual({ extraIdTokenClaims: 'Claim 2: enter a claim name, or remove the row.' });
    expect(validate(rows(claimRow({ claim: 'nick', scope: ' ' })), 'create')).toEqual({ extraIdTokenClaims: 'Claim 1: enter the scope that releases it.' });
    expect(validate(rows(claimRow({ claim: 'nick', scope: 'profile' }), claimRow({ claim: ' nick', field: 'email', scope: 'email' })), 'create')).toEqual({ extraIdTokenClaims: 'Claim 2: “nick” is already listed.' });
  });
});

describe('the server’s answers', () => {
  it('go beside the field they name, without the field name in front; others above the form', () => {
    expect(fieldMessage('redirectUris', 'redirectUris: redirect URI "http://evil.example/cb": http is allowed only on loopback hosts')).toBe('Redirect URI "http://evil.example/cb": http is allowed only on loopback hosts');
    expect(fieldMessage('name', 'too long')).toBe('Too long');
    expect(placeProblems({ redirectUris: 'redirectUris: bad', id: '"jwt-oidc-console" is the admin console\'s client, managed by the service' }, ['redirectUris', 'name'])).toEqual({
      fields: { redirectUris: 'Bad' },
      rest: '"jwt-oidc-console" is the admin console\'s client, managed by the service',
    });
    expect(placeProblems({}, ['name'])).toEqual({ fields: {} });
  });

  it('helpers: lines and text', () => {
    expect(lines([' a ', '', '\t', 'b'])).toEqual(['a', 'b']);
    expect(textOrNull('  ')).toBeNull();
    expect(textOrNull(' x ')).toBe('x');
  });
});
