import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { ServiceError } from '../services/errors.ts';
import { print, withServices } from './context.ts';
import { domainCommand, UsageError } from './domain.ts';
import { openapiCommand } from './openapi.ts';
import { serve } from './serve.ts';
import { userCommand } from './user.ts';

const HELP = `gannet — mail server

Usage:
  gannet serve                         run the server (SMTP, LMTP, HTTP API)
  gannet domain add|list|rm [name]     manage domains
  gannet user add <username> [--address a@b] [--name N] [--quota BYTES] [--password P]
  gannet user list | passwd <username> | rm <username>
  gannet token create --admin [--description D]
  gannet config check                  validate the configuration and print it
  gannet openapi                       print the OpenAPI document

Options: --config FILE (or GANNET_CONFIG), --json for machine-readable output.
Every setting can also come from GANNET_* environment variables (see docs/configuration.md).`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean' },
      admin: { type: 'boolean' },
      description: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      address: { type: 'string' },
      quota: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, action, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP + '\n');
    return;
  }
  switch (command) {
    case 'serve':
      return serve(values);
    case 'domain':
      return domainCommand(action, args, values);
    case 'user':
      return userCommand(action, args, values);
    case 'token':
      if (action !== 'create' || !values.admin) throw new UsageError('gannet token create --admin [--description D]');
      return withServices(values, async (s) => {
        const token = await s.tokens.createAdminToken(values.description ?? 'created with the CLI');
        print(values, { token }, () => token);
      });
    case 'config':
      if (action !== 'check') throw new UsageError('gannet config check');
      {
        const config = loadConfig({ path: values.config });
        const shown = { ...config, adminToken: config.adminToken ? '(set)' : '', mgmtToken: config.mgmtToken ? '(set)' : '' };
        print(values, shown, () => `configuration is valid:\n${JSON.stringify(shown, null, 2)}`);
      }
      return;
    case 'openapi':
      return openapiCommand();
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) process.stderr.write(`usage: ${err.message}\n`);
  else if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof ServiceError) process.stderr.write(`error: ${err.message}\n`);
  else process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(err instanceof UsageError ? 64 : 1);
});
