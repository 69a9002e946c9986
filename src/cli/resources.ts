import type { Command } from 'commander';
import type { RegisteredResource, ResourceStore, UpdateResourceInput } from '../provider/stores/resource-store.js';
import { CliError, EXIT_USAGE, loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';

/** The resource store, loaded when a command runs (as `clientsDomain` in clients.ts). */
const resourcesDomain = () => import('../provider/stores/resource-store.js');

interface MetadataOptions {
  scope?: string[];
  accessTokenLifetime?: string;
  alg?: string;
}

function metadataOptions(cmd: Command, required: boolean): Command {
  return cmd
    .option('--scope <scope...>', required ? 'the scopes its access tokens may carry (required)' : 'the scopes its access tokens may carry (replace the old ones)')
    .option('--access-token-lifetime <seconds>', 'seconds its access tokens live (default: JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME)')
    .option('--alg <alg>', 'the algorithm its access tokens are signed with, one of the provider\'s (default: SIGNATURE_ALG)')
    .option('--json', 'machine-readable output');
}

function toInput(o: MetadataOptions): UpdateResourceInput {
  const input: Record<string, unknown> = { scopes: o.scope, alg: o.alg };
  if (o.accessTokenLifetime !== undefined) {
    if (!/^\d{1,9}$/.test(o.accessTokenLifetime)) throw new CliError(`--access-token-lifetime: expected a whole number of seconds; got "${o.accessTokenLifetime}"`, 'ERR_USAGE', EXIT_USAGE);
    input.accessTokenLifetime = Number(o.accessTokenLifetime);
  }
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as UpdateResourceInput;
}

/** What `--json` prints of a resource: its fields, dates as ISO strings. */
function publicResource(r: RegisteredResource) {
  return { id: r.id, scopes: r.scopes, accessTokenLifetime: r.accessTokenLifetime, alg: r.alg, createdAt: new Date(r.createdAt).toISOString() };
}

function line(r: RegisteredResource): string {
  const extras = [r.accessTokenLifetime !== null ? `lifetime ${r.accessTokenLifetime}s` : '', r.alg ?? ''].filter(Boolean).join(', ');
  return `${r.id}  ${r.scopes.join(' ') || '(no scopes)'}${extras ? `  [${extras}]` : ''}`;
}

export function resourcesCommand(program: Command): void {
  const resources = program.command('resources').description('manage the protected resources clients may name with `resource` (RFC 8707)');

  metadataOptions(resources.command('create').description('register a resource: its tokens have exactly its id as aud and only its scopes'), true)
    .requiredOption('--id <uri>', 'the resource indicator: an absolute URI without fragment or query')
    .action(async (opts: MetadataOptions & GlobalOptions & { id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      if (!opts.scope) throw new CliError('--scope is required', 'ERR_USAGE', EXIT_USAGE);
      const input = { ...toInput(opts), id: opts.id, scopes: opts.scope };
      const created = await withStore(all, (store) => store.create(input));
      print(all, publicResource(created), `registered resource ${created.id}`);
    });

  resources
    .command('list')
    .description('list resources')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const list = await withStore(all, (store) => store.list());
      print(all, list.map(publicResource), list.length ? list.map(line).join('\n') : 'no resources');
    });

  metadataOptions(resources.command('update').description('change a resource (--scope replaces the old scopes)'), false)
    .requiredOption('--id <uri>', 'the resource')
    .option('--default-access-token-lifetime', 'its tokens live as long as the server default again')
    .option('--default-alg', 'its tokens are signed with the server default again')
    .action(async (opts: MetadataOptions & GlobalOptions & { id: string; defaultAccessTokenLifetime?: boolean; defaultAlg?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const input = { ...toInput(opts), ...(opts.defaultAccessTokenLifetime ? { accessTokenLifetime: null } : {}), ...(opts.defaultAlg ? { alg: null } : {}) };
      const updated = await withStore(all, (store) => store.update(opts.id, input));
      print(all, publicResource(updated), `updated resource ${updated.id}`);
    });

  resources
    .command('delete')
    .description('delete a resource: no more tokens are issued for it (issued ones live out their time)')
    .requiredOption('--id <uri>', 'the resource')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      await withStore(all, (store) => store.delete(opts.id));
      print(all, { deleted: opts.id }, `deleted resource ${opts.id}`);
    });
}

async function withStore<T>(opts: GlobalOptions, fn: (store: ResourceStore) => Promise<T>): Promise<T> {
  const loaded = loadSettingsOrExit(opts);
  return withDatabase(loaded, async (db) => {
    const [{ ResourceStore, ResourceError }, { wantedFamilies }] = await Promise.all([resourcesDomain(), import('../keys/lifecycle.js')]);
    try {
      return await fn(new ResourceStore(db.orm, [...new Set(wantedFamilies(loaded.settings.signatureAlg).values())]));
    } catch (e) {
      if (e instanceof ResourceError) throw new CliError(e.message, e.code, e.code === 'ERR_RESOURCE_INVALID' ? EXIT_USAGE : 1);
      throw e;
    }
  });
}
