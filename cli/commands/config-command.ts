import { Command } from 'commander';
import { stringify } from 'yaml';
import { maskSecrets } from '../../core/config/mask-secrets.ts';
import { configFor, print } from '../cli-context.ts';

export function configCommand(): Command {
  return new Command('config')
    .description(
      'print the effective configuration (defaults + TWIN_ENV file + --config + TWIN_* variables), secrets masked',
    )
    .option('--json', 'print JSON instead of YAML')
    .action(function (this: Command, options: { json?: boolean }) {
      const masked = maskSecrets(configFor(this));
      print(options.json ? JSON.stringify(masked, null, 2) : stringify(masked));
    });
}
