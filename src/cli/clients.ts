import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClientService, CreateClientInput, UpdateClientInput } from '../clients/client-service.js';
import type { Client } from '../db/entities/client.js';
import { CliError, EXIT_USAGE, loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';

/** The clients domain, loaded when a command runs (as `usersDomain` in users.ts). */
const clientsDomain = () => import('../clients/client-service.js');

interface MetadataOptions {
  name?: string;
  logoUri?: string;
  clientUri?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  origin?: string[];
  grantTypes?: string[];
  responseTypes?: string[];
  firstParty?: boolean;
  logoutAll?: boolean;
  admin?: boolean;
  requireMfa?: boolean;
  requirePar?: boolean;
  requireDpop?: boolean;
  idTokenAlg?: string;
  audience?: string[];
  backchannelLogoutUri?: string;
  extraClaim?: string[];
  denyUser?: string[];
  authMethod?: string;
  jwksFile?: string;
  jwksUri?: string;
  tokenExchangeAudience?: string[];
  tokenExchangeScope?: string[];
  tokenExchangeWiden?: boolean;
}

function metadataOptions(cmd: Command, required: boolean): Command {
  return cmd
    .option('--name <name>', required ? 'display name (required)' : 'display name')
    .option('--logo-uri <url>', 'https URL of a logo shown on the consent page')
    .option('--client-uri <url>', 'the application\'s home page, linked from error pages ("Back to …")')
    .option('--redirect-uri <uri...>', 'exact redirect URIs (https, http on loopback, or an app scheme)')
    .option('--post-logout-redirect-uri <uri...>', 'exact post-logout redirect URIs')
    .option('--origin <origin...>', 'origins allowed by CORS (e.g. https://app.example)')
    .option('--grant-types <type...>', 'authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code (device sign-in, RFC 8628), urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) (default: authorization_code refresh_token)')
    .option('--response-types <type...>', 'response types (default: code)')
    .option('--first-party', 'a first-party client: no consent page')
    .option('--logout-all', 'logout at this client ends the whole provider session (the default for new clients)')
    .option('--admin', 'may obtain the admin scope (client_credentials)')
    .option('--require-mfa', 'every sign-in to it ends with a second factor (as JWT_OIDC_MFA=required)')
    .option('--require-par', 'its authorization requests must be pushed to /par first (RFC 9126)')
    .option('--require-dpop', 'its token requests must carry a DPoP proof: its access tokens are always key-bound (RFC 9449 dpop_bound_access_tokens)')
    .option('--id-token-alg <alg>', 'id_token_signed_response_alg, e.g. RS256 (default: SIGNATURE_ALG)')
    .option('--audience <aud...>', 'third-party audiences added to this client\'s access tokens')
    .option('--backchannel-logout-uri <uri>', 'where logout tokens are POSTed (OIDC Back-Channel Logout)')
    .option('--extra-claim <claim=field:scope...>', 'an extra ID-token claim from a user field, released with a scope (e.g. nick=givenName:profile)')
    .option('--deny-user <field=value...>', 'users who may not use this client (e.g. email=intern@example.com)')
    .option('--auth-method <method>', 'token_endpoint_auth_method: client_secret_basic, client_secret_post, client_secret_jwt (assertions MACed with the secret), private_key_jwt (with --jwks-file or --jwks-uri; no secret) or none (as --public)')
    .option('--jwks-file <file>', 'private_key_jwt: a file with the client\'s JWK Set (public keys only)')
    .option('--jwks-uri <url>', 'private_key_jwt: the https URL of the client\'s JWK Set, fetched by the provider')
    .option('--token-exchange-audience <uri...>', 'a registered resource this client may get tokens for by token exchange (RFC 8693); repeatable. With the two options below, it replaces the client\'s whole exchange policy')
    .option('--token-exchange-scope <scope...>', 'token exchange: the only scopes it may ask for (default: any of the audience\'s)')
    .option('--token-exchange-widen', 'token exchange: it may ask for scopes the subject token lacks')
    .option('--json', 'machine-readable output');
}

/** The token-exchange policy of the options, whole (README "Token exchange"), or undefined when none is given. */
function tokenExchangeOf(o: MetadataOptions): CreateClientInput['tokenExchange'] {
  if (o.tokenExchangeAudience === undefined && o.tokenExchangeScope === undefined && o.tokenExchangeWiden === undefined) return undefined;
  if (o.tokenExchangeAudience === undefined) throw new CliError('--token-exchange-scope and --token-exchange-widen need --token-exchange-audience', 'ERR_USAGE', EXIT_USAGE);
  return { audiences: o.tokenExchangeAudience, ...(o.tokenExchangeScope ? { scopes: o.tokenExchangeScope } : {}), ...(o.tokenExchangeWiden ? { widen: true } : {}) };
}

function toInput(o: MetadataOptions): UpdateClientInput {
  const input: Record<string, unknown> = {
    name: o.name,
    logoUri: o.logoUri,
    clientUri: o.clientUri,
    redirectUris: o.redirectUri,
    postLogoutRedirectUris: o.postLogoutRedirectUri,
    allowedOrigins: o.origin,
    grantTypes: o.grantTypes,
    responseTypes: o.responseTypes,
    firstParty: o.firstParty,
    logoutAll: o.logoutAll,
    admin: o.admin,
    requireMfa: o.requireMfa,
    requirePar: o.requirePar,
    requireDpop: o.requireDpop,
    idTokenSignedResponseAlg: o.idTokenAlg,
    audiences: o.audience,
    backchannelLogoutUri: o.backchannelLogoutUri,
    extraIdTokenClaims: o.extraClaim && Object.fromEntries(o.extraClaim.map(parseExtraClaim)),
    userRestrictions: o.denyUser?.map(parseRestriction),
    tokenEndpointAuthMethod: o.authMethod,
    jwks: o.jwksFile === undefined ? undefined : readJwks(o.jwksFile),
    jwksUri: o.jwksUri,
    tokenExchange: tokenExchangeOf(o),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as UpdateClientInput;
}

export function clientsCommand(program: Command): void {
  const clients = program.command('clients').description('manage the applications (relying parties) registered at the provider');

  metadataOptions(clients.command('create').description('register a client; prints client_id and, for a confidential client, client_secret (shown once)'), true)
    .option('--id <client_id>', 'choose the client_id (default: 128 random bits)')
    .option('--public', 'a public client (SPA, native app): no secret, PKCE required')
    .option('--no-logout-all', 'logout at this client ends only its own grants; the provider session stays')
    .action(async (opts: MetadataOptions & GlobalOptions & { id?: string; public?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { publicClient } = await clientsDomain();
      if (!opts.name) throw new CliError('--name is required', 'ERR_USAGE', EXIT_USAGE);
      const input = { ...toInput(opts), id: opts.id, public: opts.public, redirectUris: opts.redirectUri ?? [] } as CreateClientInput;
      const { client, secret } = await withService(all, (service) => service.create(input));
      print(
        all,
        { ...publicClient(client), ...(secret ? { clientSecret: secret } : {}) },
        `client_id:     ${client.id}\n${secret ? `client_secret: ${secret}\n(the secret is shown only now: store it safely)` : client.tokenEndpointAuthMethod === 'private_key_jwt' ? 'private_key_jwt: no secret; it authenticates with assertions signed by its keys' : 'public client: no secret (PKCE required)'}`,
      );
    });

  clients
    .command('list')
    .description('list clients')
    .option('--search <text>', 'only clients whose id or name contains this (1 or 2 characters: starts with it)')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { search?: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { publicClient } = await clientsDomain();
      const list = await withService(all, (service) => service.list({ search: opts.search }));
      print(all, list.map(publicClient), list.length ? list.map(line).join('\n') : 'no clients');
    });

  clients
    .command('show')
    .description('show a client')
    .requiredOption('--id <client_id>', 'the client')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { publicClient } = await clientsDomain();
      const client = await withService(all, async (service) => {
        const found = await service.find(opts.id);
        if (!found) throw new CliError(`no client with id "${opts.id}"`, 'ERR_CLIENT_NOT_FOUND');
        return found;
      });
      print(all, publicClient(client), JSON.stringify(publicClient(client), null, 2));
    });

  metadataOptions(clients.command('update').description('change a client (lists given replace the old ones)'), false)
    .requiredOption('--id <client_id>', 'the client')
    .option('--no-first-party', 'not a first-party client (consent page shown)')
    .option('--no-admin', 'remove the admin flag')
    .option('--no-require-mfa', 'a second factor only for users who have one')
    .option('--no-require-par', 'plain authorization requests accepted again (unless JWT_OIDC_REQUIRE_PAR)')
    .option('--no-require-dpop', 'token requests without a DPoP proof accepted again (bearer tokens)')
    .option('--no-logout-all', 'logout ends only this client\'s grants')
    .action(async (opts: MetadataOptions & GlobalOptions & { id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { publicClient } = await clientsDomain();
      const { tokenEndpointAuthMethod: method, ...rest } = toInput(opts);
      const { client, secret } = await withService(all, async (service) => {
        // To client_secret_jwt from another method: a new secret, sealed (a stored digest
        // cannot key an HMAC), shown once as at create; then the other changes.
        const moving = method === 'client_secret_jwt' && (await service.find(opts.id))?.tokenEndpointAuthMethod !== 'client_secret_jwt';
        const rotated = moving ? await service.rotateSecret(opts.id, 'client_secret_jwt') : undefined;
        const input = moving ? rest : toInput(opts);
        const updated = Object.keys(input).length > 0 || !rotated ? await service.update(opts.id, input) : rotated.client;
        return { client: updated, secret: rotated?.secret };
      });
      print(
        all,
        { ...publicClient(client), ...(secret ? { clientSecret: secret } : {}) },
        secret ? `updated client ${client.id}\nclient_secret: ${secret}\n(the secret is shown only now: store it safely)` : `updated client ${client.id}`,
      );
    });

  clients
    .command('delete')
    .description('delete a client, with its grants and tokens')
    .requiredOption('--id <client_id>', 'the client')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      await withService(all, (service) => service.delete(opts.id));
      print(all, { deleted: opts.id }, `deleted client ${opts.id}`);
    });

  clients
    .command('rotate-secret')
    .description('replace a client\'s secret (the old one stops working at once); prints the new one')
    .requiredOption('--id <client_id>', 'the client')
    .option('--auth-method <method>', 'how it then authenticates: client_secret_basic, or client_secret_jwt (default: client_secret_jwt for such a client, client_secret_basic otherwise)')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { id: string; authMethod?: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { client, secret } = await withService(all, (service) => service.rotateSecret(opts.id, opts.authMethod as Parameters<ClientService['rotateSecret']>[1]));
      print(all, { clientId: client.id, clientSecret: secret }, `client_id:     ${client.id}\nclient_secret: ${secret}\n(the secret is shown only now: store it safely)`);
    });

  clients
    .command('registration-token')
    .description('make an initial access token for dynamic client registration at /register (JWT_OIDC_REGISTRATION_POLICY=initial-token); prints it once')
    .option('--expires-in <seconds>', 'how long it stays valid (default 86400, at most 30 days)', integer('--expires-in'))
    .option('--max-uses <n>', 'how many clients it may register (default 1)', integer('--max-uses'))
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { expiresIn?: number; maxUses?: number }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const made = await withDatabase(loaded, async (db) => {
        const [{ InitialAccessTokenStore, InitialTokenError }, { systemClock }] = await Promise.all([import('../clients/initial-access-token-store.js'), import('../clock.js')]);
        try {
          return await new InitialAccessTokenStore(db.orm.em, systemClock).create({ expiresIn: opts.expiresIn, maxUses: opts.maxUses });
        } catch (e) {
          if (e instanceof InitialTokenError) throw new CliError(e.message, 'ERR_USAGE', EXIT_USAGE);
          throw e;
        }
      });
      print(
        all,
        { token: made.token, expiresAt: made.expiresAt.toISOString(), maxUses: made.maxUses },
        `initial access token: ${made.token}\nexpires: ${made.expiresAt.toISOString()}, uses: ${made.maxUses}\n(shown only now: give it to whoever registers, as Authorization: Bearer at /register)`,
      );
    });
}

/** A whole-number option, refused as a usage error otherwise. */
function integer(flag: string) {
  return (value: string): number => {
    if (!/^\d{1,9}$/.test(value)) throw new CliError(`${flag}: a whole number; got "${value}"`, 'ERR_USAGE', EXIT_USAGE);
    return Number(value);
  };
}

async function withService<T>(opts: GlobalOptions, fn: (service: ClientService) => Promise<T>): Promise<T> {
  const loaded = loadSettingsOrExit(opts);
  return withDatabase(loaded, async (db, logger) => {
    const [{ ClientService, ClientError }, { notifyClientsChanged }] = await Promise.all([clientsDomain(), import('../clients/client-registry.js')]);
    // The key encryption secret, resolved only when a client_secret_jwt client's secret is sealed.
    const sealer = async () => {
      const [{ KeyEncryption }, { resolveEncryptionSecrets }] = await Promise.all([import('../keys/encryption.js'), import('../keys/secrets.js')]);
      return new KeyEncryption(await resolveEncryptionSecrets(loaded.settings, logger));
    };
    try {
      return await fn(new ClientService(db.orm.em, (id) => notifyClientsChanged(db.orm, id), sealer));
    } catch (e) {
      if (e instanceof ClientError) throw new CliError(e.message, e.code, e.code === 'ERR_CLIENT_INVALID' ? EXIT_USAGE : 1);
      throw e;
    }
  });
}

/** The JSON of a JWK Set file; the service checks the keys. */
function readJwks(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`--jwks-file: cannot read ${file}`, 'ERR_USAGE', EXIT_USAGE);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`--jwks-file: ${file} is not JSON (a JWK Set: {"keys": [...]})`, 'ERR_USAGE', EXIT_USAGE);
  }
}

function parseExtraClaim(spec: string): [string, { field: string; scope: string }] {
  const m = /^([^=]+)=([^:]+):(.+)$/.exec(spec);
  if (!m) throw new CliError(`--extra-claim: expected claim=field:scope; got "${spec}"`, 'ERR_USAGE', EXIT_USAGE);
  return [m[1]!, { field: m[2]!, scope: m[3]! }];
}

function parseRestriction(spec: string): { field: string; equals: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new CliError(`--deny-user: expected field=value; got "${spec}"`, 'ERR_USAGE', EXIT_USAGE);
  return { field: spec.slice(0, eq), equals: spec.slice(eq + 1) };
}

function line(c: Client): string {
  const flags = [c.tokenEndpointAuthMethod === 'client_secret_jwt' ? 'client_secret_jwt' : c.secretHash ? 'confidential' : c.tokenEndpointAuthMethod === 'private_key_jwt' ? 'private_key_jwt' : 'public', c.firstParty ? 'first-party' : '', c.admin ? 'admin' : '', c.requireMfa ? 'require-mfa' : '', c.requirePar ? 'require-par' : '', c.requireDpop ? 'require-dpop' : ''].filter(Boolean).join(',');
  return `${c.id}  ${c.name}  [${flags}]  ${c.redirectUris.join(' ')}`;
}
