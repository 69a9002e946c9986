/**
 * The client form as plain data: a client ⇄ what the form shows ⇄ the API's CreateClientInput
 * and ClientMetadataInput (schema/schema.graphql; the options of `jwt-oidc clients create`,
 * src/cli/clients.ts). Text is trimmed, empty lines are dropped, an emptied optional URI clears
 * the value (null); an update sends only the fields that changed, so that saving never
 * overwrites what someone else changed meanwhile. The checks here catch the mistakes a person
 * can fix at once; the service (src/clients/client-service.ts) remains the judge of the rest
 * (URI rules, claim names, scopes) and its answers go beside the field they name.
 */
import type { ClientMetadataInput, CreateClientInput } from '../../gql/graphql';
import { serviceClientOwner } from '../../service-clients';

/** The values the service accepts (GRANT_TYPES, RESPONSE_TYPES in src/clients/client-service.ts). */
export const GRANT_TYPES = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;
export const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'] as const;
/** User fields a client may copy into ID-token claims or restrict on (CLAIM_SOURCE_FIELDS there). */
export const USER_FIELDS = ['username', 'email', 'emailVerified', 'givenName', 'familyName', 'locale', 'picture'] as const;
/** The JWS algorithms of the provider's keys (SIGNATURE_ALGS, src/config/definitions.ts). */
export const ID_TOKEN_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;
/** How a confidential client authenticates (TOKEN_ENDPOINT_AUTH_METHODS there; a public one: none). */
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_jwt', 'private_key_jwt'] as const;
/** Where a private_key_jwt client's keys are: in the form (jwks) or at a URL (jwksUri). */
export const KEY_SOURCES = ['jwks', 'jwksUri'] as const;


export interface ClaimRow {
  /** React's key: rows have no identity of their own while being typed. */
  key: string;
  claim: string;
  field: string;
  scope: string;
}

export interface RestrictionRow {
  key: string;
  field: string;
  equals: string;
}

export interface ClientForm {
  /** Create only: the client_id to choose; empty for a random one. */
  id: string;
  name: string;
  /** Create only: a public client has no secret. */
  public: boolean;
  /** A confidential client's: its secret (client_secret_basic), assertions MACed with it (client_secret_jwt) or its keys (private_key_jwt). */
  tokenEndpointAuthMethod: string;
  /** private_key_jwt: whether the keys are typed in (jwks) or fetched (jwksUri). */
  keySource: string;
  /** The JWK Set as typed (JSON). */
  jwks: string;
  jwksUri: string;
  /** Lists as the lines typed, blank ones included, so that typing a new line works. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedOrigins: string[];
  grantTypes: string[];
  responseTypes: string[];
  firstParty: boolean;
  admin: boolean;
  requireMfa: boolean;
  requirePar: boolean;
  requireDpop: boolean;
  logoutAll: boolean;
  backchannelLogoutUri: string;
  clientUri: string;
  logoUri: string;
  /** Empty: the provider's default (SIGNATURE_ALG). */
  idTokenSignedResponseAlg: string;
  extraIdTokenClaims: ClaimRow[];
  userRestrictions: RestrictionRow[];
  audiences: string[];
}

/** A client as the API returns it (the fields the form edits). */
export interface ClientData {
  id: string;
  name: string;
  public: boolean;
  tokenEndpointAuthMethod?: string;
  jwks?: Record<string, unknown> | null;
  jwksUri?: string | null;
  redirectUris: readonly string[];
  postLogoutRedirectUris: readonly string[];
  allowedOrigins: readonly string[];
  grantTypes: readonly string[];
  responseTypes: readonly string[];
  firstParty: boolean;
  admin: boolean;
  requireMfa: boolean;
  requirePar: boolean;
  requireDpop: boolean;
  logoutAll: boolean;
  backchannelLogoutUri?: string | null;
  clientUri?: string | null;
  logoUri?: string | null;
  idTokenSignedResponseAlg?: string | null;
  extraIdTokenClaims: readonly { claim: string; field: string; scope: string }[];
  userRestrictions: readonly { field: string; equals: string }[];
  audiences: readonly string[];
}

let rowCount = 0;
const rowKey = () => `row-${++rowCount}`;

export function claimRow(values: Partial<Omit<ClaimRow, 'key'>> = {}): ClaimRow {
  return { key: rowKey(), claim: '', field: 'username', scope: 'profile', ...values };
}

export function restrictionRow(values: Partial<Omit<RestrictionRow, 'key'>> = {}): RestrictionRow {
  return { key: rowKey(), field: 'email', equals: '', ...values };
}

/** A new client's form: the service's defaults (a confidential code-flow client that ends the provider session at logout). */
export function emptyClientForm(): ClientForm {
  return {
    id: '',
    name: '',
    public: false,
    tokenEndpointAuthMethod: 'client_secret_basic',
    keySource: 'jwks',
    jwks: '',
    jwksUri: '',
    redirectUris: [''],
    postLogoutRedirectUris: [''],
    allowedOrigins: [''],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    firstParty: false,
    admin: false,
    requireMfa: false,
    requirePar: false,
    requireDpop: false,
    logoutAll: true,
    backchannelLogoutUri: '',
    clientUri: '',
    logoUri: '',
    idTokenSignedResponseAlg: '',
    extraIdTokenClaims: [],
    userRestrictions: [],
    audiences: [''],
  };
}

/** What the edit form shows for a client. */
export function formOf(client: ClientData): ClientForm {
  return {
    id: client.id,
    name: client.name,
    public: client.public,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod === 'private_key_jwt' || client.tokenEndpointAuthMethod === 'client_secret_jwt' ? client.tokenEndpointAuthMethod : 'client_secret_basic',
    keySource: client.jwksUri ? 'jwksUri' : 'jwks',
    jwks: client.jwks ? JSON.stringify(client.jwks, null, 2) : '',
    jwksUri: client.jwksUri ?? '',
    redirectUris: [...client.redirectUris],
    postLogoutRedirectUris: [...client.postLogoutRedirectUris],
    allowedOrigins: [...client.allowedOrigins],
    grantTypes: [...client.grantTypes],
    responseTypes: [...client.responseTypes],
    firstParty: client.firstParty,
    admin: client.admin,
    requireMfa: client.requireMfa,
    requirePar: client.requirePar,
    requireDpop: client.requireDpop,
    logoutAll: client.logoutAll,
    backchannelLogoutUri: client.backchannelLogoutUri ?? '',
    clientUri: client.clientUri ?? '',
    logoUri: client.logoUri ?? '',
    idTokenSignedResponseAlg: client.idTokenSignedResponseAlg ?? '',
    extraIdTokenClaims: client.extraIdTokenClaims.map(({ claim, field, scope }) => claimRow({ claim, field, scope })),
    userRestrictions: client.userRestrictions.map(({ field, equals }) => restrictionRow({ field, equals })),
    audiences: [...client.audiences],
  };
}

/** The non-blank lines, trimmed. */
export function lines(list: readonly string[]): string[] {
  return list.map((l) => l.trim()).filter(Boolean);
}

/** Trimmed text; null for nothing (the API clears a nullable field with null). */
export function textOrNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Rows with nothing typed in their text boxes are left out: an added row not filled in is not an error. */
const claimRows = (rows: readonly ClaimRow[]) => rows.filter((r) => r.claim.trim() !== '' || r.scope.trim() !== '');
const restrictionRows = (rows: readonly RestrictionRow[]) => rows.filter((r) => r.equals.trim() !== '');

/** Keeps the server's order of response types' words: it sorts them itself ("code id_token" and "id_token code" are one). */
const unique = (values: readonly string[]) => [...new Set(values)];

/** The metadata every client has, as the API takes it (ClientMetadataInput with every field given). */
interface Metadata {
  name: string;
  tokenEndpointAuthMethod: string;
  jwks: Record<string, unknown> | null;
  jwksUri: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedOrigins: string[];
  grantTypes: string[];
  responseTypes: string[];
  firstParty: boolean;
  admin: boolean;
  requireMfa: boolean;
  requirePar: boolean;
  requireDpop: boolean;
  logoutAll: boolean;
  backchannelLogoutUri: string | null;
  clientUri: string | null;
  logoUri: string | null;
  idTokenSignedResponseAlg: string | null;
  extraIdTokenClaims: { claim: string; field: string; scope: string }[];
  userRestrictions: { field: string; equals: string }[];
  audiences: string[];
}

/** The typed JWK Set: null when empty, undefined when it is not a JSON object. */
export function parsedJwks(text: string): Record<string, unknown> | null | undefined {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function metadata(form: ClientForm): Metadata {
  const keys = !form.public && form.tokenEndpointAuthMethod === 'private_key_jwt';
  return {
    name: form.name.trim(),
    tokenEndpointAuthMethod: form.public ? 'none' : form.tokenEndpointAuthMethod,
    // Only the chosen source is sent; the service forgets the other.
    jwks: keys && form.keySource === 'jwks' ? (parsedJwks(form.jwks) ?? null) : null,
    jwksUri: keys && form.keySource === 'jwksUri' ? textOrNull(form.jwksUri) : null,
    redirectUris: lines(form.redirectUris),
    postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
    allowedOrigins: lines(form.allowedOrigins),
    grantTypes: GRANT_TYPES.filter((g) => form.grantTypes.includes(g)),
    responseTypes: RESPONSE_TYPES.filter((t) => form.responseTypes.includes(t)),
    firstParty: form.firstParty,
    admin: form.admin,
    requireMfa: form.requireMfa,
    requirePar: form.requirePar,
    requireDpop: form.requireDpop,
    logoutAll: form.logoutAll,
    backchannelLogoutUri: textOrNull(form.backchannelLogoutUri),
    clientUri: textOrNull(form.clientUri),
    logoUri: textOrNull(form.logoUri),
    idTokenSignedResponseAlg: textOrNull(form.idTokenSignedResponseAlg),
    extraIdTokenClaims: claimRows(form.extraIdTokenClaims).map((r) => ({ claim: r.claim.trim(), field: r.field, scope: r.scope.trim() })),
    userRestrictions: restrictionRows(form.userRestrictions).map((r) => ({ field: r.field, equals: r.equals.trim() })),
    audiences: unique(lines(form.audiences)),
  };
}

/** The new client: every option given, so that what the form shows is what is registered. */
export function createInput(form: ClientForm): CreateClientInput {
  const id = form.id.trim();
  // `id` is omitted, not null, for a random one: the service takes no null id.
  return { ...(id ? { id } : {}), public: form.public, ...metadata(form) };
}

/** The changes of an edit: only the fields whose value differs from the client's (the API leaves omitted fields as they are). */
export function updateInput(form: ClientForm, client: ClientData): ClientMetadataInput {
  // Whether a client is public cannot change, so neither can what that decides (its auth method).
  const now = metadata({ ...form, public: client.public });
  const before = metadata(formOf(client));
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(now) as (keyof typeof now)[]) {
    if (JSON.stringify(now[key]) !== JSON.stringify(before[key])) changes[key] = now[key];
  }
  return changes as ClientMetadataInput;
}

/** Input field → the form control it belongs to (the service names the input field in `extensions.field`). */
export const FORM_FIELDS = ['id', 'name', 'public', 'tokenEndpointAuthMethod', 'jwks', 'jwksUri', 'redirectUris', 'postLogoutRedirectUris', 'allowedOrigins', 'grantTypes', 'responseTypes', 'firstParty', 'admin', 'requireMfa', 'requirePar', 'requireDpop', 'logoutAll', 'backchannelLogoutUri', 'clientUri', 'logoUri', 'idTokenSignedResponseAlg', 'extraIdTokenClaims', 'userRestrictions', 'audiences'] as const;

/**
 * The service's message for a field, without the field name it starts with (`redirectUris:
 * redirect URI "…": …`), since it is shown beside that field.
 */
export function fieldMessage(field: string, message: string): string {
  const text = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/**
 * Field problems of the server placed beside the fields the form has; the others (a field the
 * form does not show, such as `id` on an edit) are returned as a message for above the form.
 */
export function placeProblems(fields: Record<string, string>, shown: readonly string[]): { fields: Record<string, string>; rest?: string } {
  const placed: Record<string, string> = {};
  const rest: string[] = [];
  for (const [field, message] of Object.entries(fields)) {
    if (shown.includes(field)) placed[field] = fieldMessage(field, message);
    else rest.push(message);
  }
  return { fields: placed, rest: rest.length ? rest.join(' ') : undefined };
}

const hasWord = (types: readonly string[], word: string) => types.some((t) => t.split(' ').includes(word));

/**
 * Problems found before asking the server, by input field: the ones a person can fix at once
 * (a missing name, a public client with client_credentials, response types without their grant,
 * half-filled rows). RFC 7591 §2.1 ties response types and grant types together.
 */
export function validate(form: ClientForm, mode: 'create' | 'edit'): Record<string, string> {
  const problems: Record<string, string> = {};
  const m = metadata(form);
  const owner = mode === 'create' ? serviceClientOwner(form.id.trim()) : undefined;
  if (owner) problems.id = `This id belongs to ${owner}, which the service manages. Choose another.`;
  if (mode === 'create' && /\s/.test(form.id.trim())) problems.id = 'A client id has no spaces.';
  if (m.name === '') problems.name = 'Enter a name: users see it on the consent page.';

  const grants = m.grantTypes;
  const responses = m.responseTypes;
  const withCode = hasWord(responses, 'code');
  const withTokens = hasWord(responses, 'token') || hasWord(responses, 'id_token');
  if (grants.length === 0) problems.grantTypes = 'Choose at least one grant type.';
  else if (form.public && grants.includes('client_credentials')) problems.grantTypes = 'A public client cannot use client_credentials: it has no secret to authenticate with.';
  else if (grants.includes('refresh_token') && !grants.includes('authorization_code') && !grants.includes('urn:ietf:params:oauth:grant-type:device_code')) problems.grantTypes = 'refresh_token needs authorization_code or the device_code grant.';
  else if (withCode && !grants.includes('authorization_code')) problems.grantTypes = 'Response types with code need the authorization_code grant.';
  else if (withTokens && !grants.includes('implicit')) problems.grantTypes = 'Response types with token or id_token need the implicit grant.';
  if (grants.includes('authorization_code') && !withCode) problems.responseTypes = 'The authorization_code grant needs a response type with code.';
  else if (grants.includes('implicit') && !withTokens) problems.responseTypes = 'The implicit grant needs a response type with token or id_token.';
  if ((withCode || withTokens) && m.redirectUris.length === 0) problems.redirectUris = 'Enter at least one redirect URI: the authorization endpoint sends users back there.';
  if (form.public && form.admin) problems.admin = 'A public client cannot be an admin client.';
  if (!form.public && form.tokenEndpointAuthMethod === 'private_key_jwt') {
    if (form.keySource === 'jwks') {
      const jwks = parsedJwks(form.jwks);
      if (jwks === null) problems.jwks = 'Paste the client’s JWK Set: its public keys, as JSON such as {"keys": [...]}.';
      else if (jwks === undefined) problems.jwks = 'This is not a JSON object: paste the JWK Set, such as {"keys": [...]}.';
    } else if (form.jwksUri.trim() === '') problems.jwksUri = 'Enter the https URL where the client publishes its JWK Set.';
  }

  const duplicate = (list: readonly string[]) => list.find((v, i) => list.indexOf(v) !== i);
  for (const field of ['redirectUris', 'postLogoutRedirectUris', 'allowedOrigins'] as const) {
    const twice = duplicate(m[field]);
    if (twice !== undefined && !problems[field]) problems[field] = `“${twice}” is listed twice.`;
  }

  const claims = claimRows(form.extraIdTokenClaims);
  claims.some((r, i) => {
    const n = form.extraIdTokenClaims.indexOf(r) + 1;
    if (r.claim.trim() === '') problems.extraIdTokenClaims = `Claim ${n}: enter a claim name, or remove the row.`;
    else if (r.scope.trim() === '') problems.extraIdTokenClaims = `Claim ${n}: enter the scope that releases it.`;
    else if (claims.findIndex((o) => o.claim.trim() === r.claim.trim()) !== i) problems.extraIdTokenClaims = `Claim ${n}: “${r.claim.trim()}” is already listed.`;
    return problems.extraIdTokenClaims !== undefined;
  });
  return problems;
}

/** How the list shows a client's kind. */
export function clientKind(client: { public: boolean; tokenEndpointAuthMethod?: string }): string {
  return client.public ? 'Public' : client.tokenEndpointAuthMethod === 'private_key_jwt' ? 'Confidential, with keys' : 'Confidential';
}
