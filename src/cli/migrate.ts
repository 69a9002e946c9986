import type { Command } from 'commander';
import { loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const applied = await withDatabase(loaded, (db) => db.migrate(), { migrate: false });
      print(all, { applied }, applied.length ? `applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join('\n')}` : 'the database is up to date');
    });
}
