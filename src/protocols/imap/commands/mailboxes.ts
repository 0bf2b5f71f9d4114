import type { Folder } from '../../../services/imap/folders.ts';
import { DELIMITER, specialUse } from '../../../services/imap/folders.ts';
import { astring, list } from '../args.ts';
import { atom, type ImapData } from '../data.ts';
import { decodeMailboxName, encodeMailboxName } from '../mailbox-names.ts';
import type { Token } from '../reader.ts';
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

const STATUS_ITEMS = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'MAILBOXID'];

function statusItems(tokens: Token[]): string[] {
  const items = tokens.map((t) => astring(t).toUpperCase());
  const bad = items.find((i) => !STATUS_ITEMS.includes(i));
  if (bad) throw new ImapError('BAD', `unknown STATUS item ${bad.slice(0, 20)}`);
  if (items.length === 0) throw new ImapError('BAD', 'STATUS needs at least one item');
  return items;
}

async function sendStatus(s: ImapSession, folder: Folder, items: string[]): Promise<void> {
  const st = await s.services.imap.mail.statusOf(folder);
  const out: ImapData[] = [];
  for (const item of items) {
    out.push(atom(item));
    if (item === 'MESSAGES') out.push(st.messages);
    else if (item === 'UIDNEXT') out.push(st.uidNext);
    else if (item === 'UIDVALIDITY') out.push(st.uidValidity);
    else if (item === 'UNSEEN') out.push(st.unseen);
    else if (item === 'DELETED') out.push(await s.services.imap.mail.deletedCount(folder));
    else if (item === 'SIZE') out.push(st.size);
    else if (item === 'RECENT') out.push(0);
    else if (item === 'HIGHESTMODSEQ') out.push(st.highestModseq);
    else if (item === 'APPENDLIMIT') out.push(s.ctx.config.maxMessageSize);
    else out.push([folder.id]);
  }
  s.untagged(atom('STATUS'), encodeMailboxName(folder.path, s.utf8), out);
}

interface ListOptions {
  subscribedOnly: boolean;
  specialUseOnly: boolean;
  returnSubscribed: boolean;
  status: string[] | null;
}

/** LIST with the RFC 5258 selection and return options, and LIST-STATUS (RFC 5819). */
function parseList(args: Token[]): { reference: string; patterns: string[]; opts: ListOptions } {
  const opts: ListOptions = { subscribedOnly: false, specialUseOnly: false, returnSubscribed: false, status: null };
  let i = 0;
  if (args[0]?.type === 'list') {
    for (const t of list(args[0])) {
      const o = astring(t).toUpperCase();
      if (o === 'SUBSCRIBED') opts.subscribedOnly = opts.returnSubscribed = true;
      else if (o === 'SPECIAL-USE') opts.specialUseOnly = true;
      else if (o !== 'REMOTE' && o !== 'RECURSIVEMATCH') throw new ImapError('BAD', `unknown LIST selection option ${o.slice(0, 20)}`);
    }
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
  for (const f of folders) {
    if (!regexes.some((r) => r.test(f.path))) continue;
    if (opts.subscribedOnly && !f.subscribed) continue;
    const use = specialUse(f.role);
    if (opts.specialUseOnly && !use) continue;
    const attrs = [f.hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    if (opts.returnSubscribed && f.subscribed) attrs.push('\\Subscribed');
    if (use) attrs.push(use);
    s.untagged(atom(kind), attrs.map(atom), DELIMITER, encodeMailboxName(f.path, s.utf8));
    if (opts.status) await sendStatus(s, f, opts.status);
  }
}

const mailboxArg = (s: ImapSession, t: Token | undefined) => decodeMailboxName(astring(t), s.utf8);

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
      const folder = await s.services.imap.folders.create(s.accountId, mailboxArg(s, cmd.args[0]));
      return { text: 'created', code: `MAILBOXID (${folder.id})` };
    },
  },
  DELETE: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      const path = mailboxArg(s, cmd.args[0]);
      if (s.selected && s.selected.folder.path === (await s.services.imap.folders.get(s.accountId, path)).path) s.unselect();
      await s.services.imap.folders.delete(s.accountId, path);
    },
  },
  RENAME: {
    states: [...AUTHED],
    expungeAfter: true,
    async run(s, cmd) {
      await s.services.imap.folders.rename(s.accountId, mailboxArg(s, cmd.args[0]), mailboxArg(s, cmd.args[1]));
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
