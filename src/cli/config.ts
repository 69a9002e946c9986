import type { Command } from 'commander';
import { redactedSettings } from '../config/redact.js';
import { loadSettingsOrExit, print, type GlobalOptions } from './context.js';
import { describeGenerated, generatedSetting } from './generated-settings.js';

export function configCommand(program: Command): void {
  program
    .command('config')
    .description('print the effective settings (secrets redacted) and where each came from')
    .option('--json', 'machine-readable output')
    .action((opts: GlobalOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const shown = redactedSettings(loaded).map((s) => ({ ...s, generated: generatedSetting(s.key, loaded.settings) }));
      const width = Math.max(...shown.map((s) => s.env.length));
      const value = (s: (typeof shown)[number]) => (s.value !== undefined ? JSON.stringify(s.value) : s.generated ? describeGenerated(s.generated) : '(unset)');
      const human = shown.map((s) => `${s.env.padEnd(width)}  ${value(s)}${s.source === 'default' ? '' : `  [${s.source}]`}`).join('\n');
      print(
        all,
        {
          configFile: loaded.configFile ?? null,
          issuer: loaded.settings.issuer ?? null,
          settings: Object.fromEntries(
            shown.map((s) => [s.key, { env: s.env, value: s.value ?? null, source: s.source, ...(s.generated && { generated: { path: s.generated.path, exists: s.generated.exists } }) }]),
          ),
        },
        `${loaded.configFile ? `config file: ${loaded.configFile}\n` : ''}${human}${loaded.settings.issuer ? `\n(derived) issuer  ${loaded.settings.issuer}` : ''}`,
      );
    });
}
