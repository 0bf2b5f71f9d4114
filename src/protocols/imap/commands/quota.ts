import { astring } from '../args.ts';
import { atom, type ImapData } from '../data.ts';
import { decodeMailboxName, encodeMailboxName } from '../mailbox-names.ts';
import { ImapError } from '../responses.ts';
import type { CommandSpec, ImapSession } from '../session.ts';

// Every mailbox of an account shares one quota root, named "" (RFC 9208 §3.1).
const ROOT = '';

async function sendQuota(s: ImapSession): Promise<void> {
  const q = await s.services.directory.accountQuota(s.accountId);
  // STORAGE counts units of 1024 octets; an unlimited account has no resource to report.
  const resources: ImapData[] = q.limit > 0 ? [atom('STORAGE'), Math.ceil(q.used / 1024), Math.floor(q.limit / 1024)] : [];
  s.untagged(atom('QUOTA'), ROOT, resources);
}

export const quotaCommands: Record<string, CommandSpec> = {
  GETQUOTAROOT: {
    states: ['auth', 'selected'],
    expungeAfter: true,
    async run(s, cmd) {
      const folder = await s.services.imap.folders.get(s.accountId, decodeMailboxName(astring(cmd.args[0]), s.utf8));
      s.untagged(atom('QUOTAROOT'), encodeMailboxName(folder.path, s.utf8), ROOT);
      await sendQuota(s);
    },
  },
  GETQUOTA: {
    states: ['auth', 'selected'],
    expungeAfter: true,
    async run(s, cmd) {
      if (astring(cmd.args[0]) !== ROOT) throw new ImapError('NO', 'no such quota root', 'NONEXISTENT');
      await sendQuota(s);
    },
  },
  SETQUOTA: {
    states: ['auth', 'selected'],
    expungeAfter: true,
    async run() {
      throw new ImapError('NO', 'quotas are set by an administrator', 'NOPERM');
    },
  },
};
