import type { Folder } from '../../../services/imap/folders.ts';
import { DELIMITER, specialUse } from '../../../services/imap/folders.ts';
import { astring, list } from '../args.ts';
import { atom, type ImapData } from '../data.ts';
import { decodeMailboxName, encodeMailboxName } from '../mailbox-names.ts';
import type { Token } from '../reader.ts';
import { ServiceError } from '../../../services/errors.ts';
import { ImapError } from '../responses.ts';
import type { CommandSpec, ImapSession } from '../session.ts';

const AUTHED = ['auth', 'selected'] as const;

/** A LIST pattern as a regular expression: "*" spans levels, "%" stays within one (RFC 9051 §6.3.9). */
function patternRegex(pattern: string): RegExp {
  const first = pattern.split(DELIMITER)[0];
  const canon = first.toUpperCase() === 'INBOX' ? 'INBOX' + pattern.slice(first.length) : pattern;
  const body = canon.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, `[^${DELIMITER}]*`);
  return new RegExp(`^${body}$`);
}

const STATUS_ITEMS = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'DELETED-STORAGE', 'SIZE', 'RECENT', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'MAILBOXID'];

function statusItems(tokens: Token[]): string[] {
  const items = tokens.map((t) => astring(t).toUpperCase());
  const bad = items.find((i) => !STATUS_ITEMS.includes(i));
  if (bad) throw new ImapError('BAD', `unknown STATUS item ${bad.slice(0, 20)}`);
  if (items.length === 0) throw new ImapError('BAD', 'STATUS needs at least one item');
  return items;
}

async function sendStatus(s: ImapSession, folder: Folder, items: string[]): Promise<void> {
  const st = await s.services.imap.mail.statusOf(folder);
  const deleted = items.some((i) => i.startsWith('DELETED')) ? await s.services.imap.mail.deletedStats(folder) : null;
  // Asking for HIGHESTMODSEQ switches CONDSTORE on (RFC 7162 §3.1).
  if (items.includes('HIGHESTMODSEQ')) s.enableCondstore();
  const out: ImapData[] = [];
  for (const item of items) {
    out.push(atom(item));
    if (item === 'MESSAGES') out.push(st.messages);
    else if (item === 'UIDNEXT') out.push(st.uidNext);
    else if (item === 'UIDVALIDITY') out.push(st.uidValidity);
    else if (item === 'UNSEEN') out.push(st.unseen);
    else if (item === 'DELETED') out.push(deleted!.count);
    else if (item === 'DELETED-STORAGE') out.push(deleted!.bytes);
    else if (item === 'SIZE') out.push(st.size);
    else if (item === 'RECENT') out.push(0);
    else if (item === 'HIGHESTMODSEQ') out.push(st.highestModseq);
    else if (item === 'APPENDLIMIT') out.push(s.ctx.config.maxMessageSize);
    else out.push([atom(folder.id)]);
  }
  s.untagged(atom('STATUS'), encodeMailboxName(folder.path, s.utf8), out);
}

interface ListOptions {
  subscribedOnly: boolean;
  /** RECURSIVEMATCH: a mailbox not selected itself is listed when a descendant is (RFC 5258 §3.5). */
  recursive: boolean;
  specialUseOnly: boolean;
  returnSubscribed: boolean;
  status: string[] | null;
}

/** LIST with the RFC 5258 selection and return options, and LIST-STATUS (RFC 5819). */
function parseList(args: Token[]): { reference: string; patterns: string[]; opts: ListOptions } {
  const opts: ListOptions = { subscribedOnly: false, recursive: false, specialUseOnly: false, returnSubscribed: false, status: null };
  let i = 0;
  if (args[0]?.type === 'list') {
    for (const t of list(args[0])) {
      const o = astring(t).toUpperCase();
      if (o === 'SUBSCRIBED') opts.subscribedOnly = opts.returnSubscribed = true;
      else if (o === 'SPECIAL-USE') opts.specialUseOnly = true;
      else if (o === 'RECURSIVEMATCH') opts.recursive = true;
      else if (o !== 'REMOTE') throw new ImapError('BAD', `unknown LIST selection option ${o.slice(0, 20)}`);
    }
    // RECURSIVEMATCH qualifies another selection option; alone (or with REMOTE) it is an error (RFC 9051 §6.3.9.1).
    if (opts.recursive && !opts.subscribedOnly && !opts.specialUseOnly) throw new ImapError('BAD', 'RECURSIVEMATCH needs another selection option');
    i = 1;
  }
  const reference = astring(args[i]);
  const patternArg = args[i + 1];
  if (!patternArg) throw new ImapError('BAD', 'LIST takes a reference and a mailbox pattern');
  const patterns = patternArg.type === 'list' ? list(patternArg).map(astring) : [astring(patternArg)];
  if (args[i + 2]) {
    if (astring(args[i + 2]).toUpperCase() !== 'RETURN' || args[i + 3]?.type !== 'list') throw new ImapError('BAD', 'expected RETURN (options)');
    const ret = list(args[i + 3]);
    for (let j = 0; j < ret.length; j++) {
      const o = astring(ret[j]).toUpperCase();
      if (o === 'SUBSCRIBED') opts.returnSubscribed = true;
      else if (o === 'STATUS') opts.status = statusItems(list(ret[++j]));
      else if (o !== 'CHILDREN' && o !== 'SPECIAL-USE') throw new ImapError('BAD', `unknown LIST return option ${o.slice(0, 20)}`);
    }
  }
  return { reference, patterns, opts };
}

async function runList(s: ImapSession, args: Token[], lsub: boolean): Promise<void> {
  const { reference, patterns, opts } = parseList(args);
  if (lsub) opts.subscribedOnly = opts.returnSubscribed = true;
  const kind = lsub ? 'LSUB' : 'LIST';
  if (patterns.length === 1 && patterns[0] === '') {
    // The hierarchy delimiter and root of the reference (RFC 9051 §6.3.9).
    s.untagged(atom(kind), [atom('\\Noselect')], DELIMITER, reference.split(DELIMITER)[0] ?? '');
    return;
  }
  const regexes = patterns.map((p) => patternRegex(decodeMailboxName(reference + p, s.utf8)));
  const folders = await s.services.imap.folders.list(s.accountId);
  const selected = (f: Folder) => (!opts.subscribedOnly || f.subscribed) && (!opts.specialUseOnly || specialUse(f.role) !== null);
  const below = (f: Folder) => folders.filter((d) => d.path.startsWith(f.path + DELIMITER));
  for (const f of folders) {
    if (!regexes.some((r) => r.test(f.path))) continue;
    // A parent of selected mailboxes: CHILDINFO with RECURSIVEMATCH; for LSUB "%", \Noselect (RFC 3501 §6.3.9).
    const selectedBelow = (opts.recursive || lsub) && below(f).some(selected);
    if (!selected(f)) {
      if (opts.recursive && selectedBelow) {
        s.untagged(atom(kind), [], DELIMITER, encodeMailboxName(f.path, s.utf8), ['CHILDINFO', [opts.subscribedOnly ? 'SUBSCRIBED' : 'SPECIAL-USE']]);
      } else if (lsub && selectedBelow && patterns.some((p) => p.includes('%'))) {
        s.untagged(atom(kind), [atom('\\Noselect')], DELIMITER, encodeMailboxName(f.path, s.utf8));
      }
      continue;
    }
    const use = specialUse(f.role);
    const attrs = [f.hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    if (opts.returnSubscribed && f.subscribed) attrs.push('\\Subscribed');
    if (use) attrs.push(use);
    const extended: ImapData[] = opts.recursive && selectedBelow ? [['CHILDINFO', [opts.subscribedOnly ? 'SUBSCRIBED' : 'SPECIAL-USE']]] : [];
    s.untagged(atom(kind), attrs.map(atom), DELIMITER, encodeMailboxName(f.path, s.utf8), ...extended);
    if (opts.status) await sendStatus(s, f, opts.status);
  }
}

const mailboxArg = (s: ImapSession, t: Token | undefined) => decodeMailboxName(astring(t), s.utf8);

/** ("OLDNAME" (name)) when the name the client gave was stored normalised to NFC (RFC 9051 §6.3.2, §6.3.4). */
export function oldName(s: ImapSession, t: Token | undefined): ImapData[] | null {
  const given = astring(t);
  return s.utf8 && given.normalize('NFC') !== given ? ['OLDNAME', [given]] : null;
}

/**
 * A name or tree change the store refused is NO, not BAD: the command itself was well formed
 * (RFC 9051 §6.3.4). The only conflict DELETE meets is a mailbox with children, which answers
 * HASCHILDREN (§6.3.5); elsewhere a conflict is a name taken (ALREADYEXISTS), whatever that name
 * says (a mailbox may well be called "child").
 */
async function refusedAsNo<T>(fn: () => Promise<T>, conflict?: 'HASCHILDREN'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'invalid') throw new ImapError('NO', err.message, 'CANNOT');
    if (err instanceof ServiceError && err.code === 'conflict' && conflict) throw new ImapError('NO', err.message, conflict);
    throw err;
  }
}

export const mailboxCommands: Record<string, CommandSpec> = {
  LIST: { states: [...AUTHED], expungeAfter: true, run: (s, cmd) => runList(s, cmd.args, false) },
  LSUB: { states: [...AUTHED], expungeAfter: true, run: (s, cmd) => runList(s, cmd.args, true) },
  NAMESPACE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s) {
      s.untagged(atom('NAMESPACE'), [['', DELIMITER]], null, null);
    },
  },
  STATUS: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      const folder = await s.services.imap.folders.get(s.accountId, mailboxArg(s, cmd.args[0]));
      await sendStatus(s, folder, statusItems(list(cmd.args[1])));
    },
  },
  CREATE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      const folder = await refusedAsNo(() => s.services.imap.folders.create(s.accountId, mailboxArg(s, cmd.args[0])));
      const old = oldName(s, cmd.args[0]);
      if (old) s.untagged(atom('LIST'), [], DELIMITER, encodeMailboxName(folder.path, s.utf8), old);
      return { text: 'created', code: `MAILBOXID (${folder.id})` };
    },
  },
  DELETE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      const path = mailboxArg(s, cmd.args[0]);
      if (s.selected && s.selected.folder.path === (await s.services.imap.folders.get(s.accountId, path)).path) s.unselect();
      await refusedAsNo(() => s.services.imap.folders.delete(s.accountId, path), 'HASCHILDREN');
    },
  },
  RENAME: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      await refusedAsNo(() => s.services.imap.folders.rename(s.accountId, mailboxArg(s, cmd.args[0]), mailboxArg(s, cmd.args[1])));
    },
  },
  SUBSCRIBE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      await s.services.imap.folders.subscribe(s.accountId, mailboxArg(s, cmd.args[0]), true);
    },
  },
  UNSUBSCRIBE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      await s.services.imap.folders.subscribe(s.accountId, mailboxArg(s, cmd.args[0]), false);
    },
  },
};
