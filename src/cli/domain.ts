import { collectAll, print, table, withServices, type CliOptions } from './context.ts';

export async function domainCommand(action: string | undefined, args: string[], opts: CliOptions): Promise<void> {
  await withServices(opts, async (s) => {
    switch (action) {
      case 'add': {
        if (!args[0]) throw new UsageError('gannet domain add <name>');
        const d = await s.directory.createDomain({ name: args[0] });
        return print(opts, d, () => `created domain ${d.name} (${d.id})`);
      }
      case 'list': {
        const all = await collectAll((cursor) => s.directory.listDomains({ limit: 250, cursor }));
        return print(opts, all, () => (all.length ? table([['NAME', 'ID', 'ALIASES'], ...all.map((d) => [d.name, d.id, d.aliases.join(',')])]) : 'no domains'));
      }
      case 'rm': {
        if (!args[0]) throw new UsageError('gannet domain rm <name>');
        await s.directory.deleteDomain(args[0]);
        return print(opts, { deleted: args[0] }, () => `deleted domain ${args[0]}`);
      }
      default:
        throw new UsageError('gannet domain add|list|rm …');
    }
  });
}

export class UsageError extends Error {}
