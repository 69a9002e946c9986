import type { Command } from 'commander';
import type { Database } from '../db/database.js';
import { KeyError } from '../keys/errors.js';
import type { FamilyStatus, KeyManager } from '../keys/key-manager.js';
import { CliError, EXIT_USAGE, loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('signing keys of the provider: status, rotation, re-encryption');

  keys
    .command('status')
    .description('per key family: the algorithm, the active key, the next rotation, and every key with its state and times')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const status = await withKeys(all, async (manager) => {
        await manager.reload();
        return manager.status();
      });
      print(all, status, formatStatus(status));
    });

  keys
    .command('rotate')
    .description('start a rotation now: a successor is published first and signs after KEY_PREPUBLISH_TIME')
    .option('--now', 'switch at once, without pre-publication (for a compromised key)')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { now?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const result = await withKeys(all, async (manager) => {
        await manager.start();
        return manager.rotate({ now: opts.now });
      });
      print(all, result.status, `${result.actions.length ? 'rotation started' : 'a rotation is already under way'}\n${formatStatus(result.status)}`);
    });

  keys
    .command('reencrypt')
    .description('re-encrypt every private key, every two-step (TOTP) secret and every client_secret_jwt client secret with the first JWT_OIDC_KEY_ENCRYPTION_SECRET (then older secrets can be removed)')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const { keys: count, sealed } = await withKeys(all, async (manager, db) => {
        // The factors' and clients' secrets first, all or nothing (src/users/factor-secrets.ts):
        // one that does not decrypt stops the command before any key is rewritten.
        const { FactorSecretsError, reencryptSealedSecrets } = await import('../users/factor-secrets.js');
        let sealed: { factors: number; clients: number };
        try {
          sealed = await reencryptSealedSecrets(db.orm.em, manager.encryption);
        } catch (e) {
          if (e instanceof FactorSecretsError) throw new CliError(e.message, 'ERR_FACTOR_SECRETS');
          throw e;
        }
        return { keys: await manager.reencrypt(), sealed };
      });
      const human =
        count || sealed.factors || sealed.clients
          ? `re-encrypted ${count} key(s), ${sealed.factors} two-step secret(s) and ${sealed.clients} client secret(s) with the first secret`
          : 'every key, two-step secret and client secret is already encrypted with the first secret';
      print(all, { reencrypted: count, reencryptedFactorSecrets: sealed.factors, reencryptedClientSecrets: sealed.clients }, human);
    });
}

async function withKeys<T>(opts: GlobalOptions, fn: (manager: KeyManager, db: Database) => Promise<T>): Promise<T> {
  const loaded = loadSettingsOrExit(opts);
  if (loaded.settings.type === 'client') throw new CliError('signing keys belong to the provider and fake modes (JWT_OIDC_TYPE=provider or fake)', 'ERR_USAGE', EXIT_USAGE);
  return withDatabase(loaded, async (db, logger) => {
    try {
      // Loaded here: a usage error or `--help` answers without it.
      const { createKeyManager } = await import('../keys/index.js');
      const manager = await createKeyManager({ settings: loaded.settings, db, logger, follow: false });
      try {
        return await fn(manager, db);
      } finally {
        await manager.stop();
      }
    } catch (e) {
      if (e instanceof KeyError) throw new CliError(e.message, e.code, EXIT_USAGE);
      throw e;
    }
  });
}

function formatStatus(status: FamilyStatus[]): string {
  return status
    .map((f) => {
      const head = `${f.family}: ${f.alg ?? '(retiring)'}  active ${f.activeKid ?? 'none'}  next rotation ${f.nextRotationAt ?? '-'}`;
      const rows = f.keys.map((k) => `  ${k.kid}  ${k.alg.padEnd(5)}  ${k.state.padEnd(7)}  created ${k.createdAt}  activates ${k.activatesAt}  retires ${k.retiresAt ?? '-'}  deletes ${k.deletesAt ?? '-'}`);
      return [head, ...rows].join('\n');
    })
    .join('\n');
}
