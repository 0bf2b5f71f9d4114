import { collectAll, print, table, withServices, type CliOptions } from './context.ts';
import { UsageError } from './domain.ts';
import { readSecret } from './secret.ts';

export async function userCommand(action: string | undefined, args: string[], opts: CliOptions & { password?: string; name?: string; address?: string; quota?: string }): Promise<void> {
  await withServices(opts, async (s) => {
    switch (action) {
      case 'add': {
        if (!args[0]) throw new UsageError('gannet user add <username> [--address a@b] [--name N] [--quota BYTES] [--password P]');
        const password = opts.password ?? (await readSecret(`password for ${args[0]}: `));
        const u = await s.directory.createUser({
          username: args[0],
          password,
          name: opts.name,
          address: opts.address,
          quota: opts.quota === undefined ? undefined : Number(opts.quota),
        });
        return print(opts, u, () => `created user ${u.username} <${u.address}> (${u.id})`);
      }
      case 'list': {
        const all = await collectAll((cursor) => s.directory.listUsers({ limit: 250, cursor }));
        return print(opts, all, () =>
          all.length ? table([['USERNAME', 'ADDRESS', 'ID', 'USED', 'QUOTA'], ...all.map((u) => [u.username, u.address ?? '', u.id, String(u.quota.used), u.quota.limit ? String(u.quota.limit) : 'unlimited'])]) : 'no users',
        );
      }
      case 'passwd': {
        if (!args[0]) throw new UsageError('gannet user passwd <username> [--password P]');
        const password = opts.password ?? (await readSecret(`new password for ${args[0]}: `));
        const u = await s.directory.updateUser(args[0], { password });
        return print(opts, { id: u.id }, () => `password changed for ${u.username}`);
      }
      case 'rm': {
        if (!args[0]) throw new UsageError('gannet user rm <username>');
        await s.directory.deleteUser(args[0]);
        return print(opts, { deleted: args[0] }, () => `deleted user ${args[0]} and all their mail`);
      }
      default:
        throw new UsageError('gannet user add|list|passwd|rm …');
    }
  });
}
