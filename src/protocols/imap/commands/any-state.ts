import { atom, type ImapData } from '../data.ts';
import type { CommandSpec, ImapSession } from '../session.ts';
import { astring, list } from '../args.ts';
import { ImapError } from '../responses.ts';

const ALL = ['notauth', 'auth', 'selected', 'logout'] as const;

/** What this server can do, as CAPABILITY lists it; auth mechanisms only where credentials may be sent. */
export function capabilities(s: ImapSession): string[] {
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE', 'CHILDREN', 'SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'STATUS=SIZE', 'ESEARCH', 'SEARCHRES', 'CONDSTORE', 'QRESYNC', 'OBJECTID', 'UTF8=ACCEPT', 'BINARY', 'SORT', 'SORT=DISPLAY', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'QUOTA', 'QUOTA=RES-STORAGE', 'COMPRESS=DEFLATE', `APPENDLIMIT=${s.ctx.config.maxMessageSize}`];
  if (s.state === 'notauth') {
    if (!s.wire.secure) caps.push('STARTTLS');
    caps.push(...(s.plaintextAllowed ? ['AUTH=PLAIN', 'AUTH=LOGIN', 'AUTH=OAUTHBEARER', 'AUTH=XOAUTH2'] : ['LOGINDISABLED']));
  }
  return caps;
}

export const anyStateCommands: Record<string, CommandSpec> = {
  CAPABILITY: {
    states: [...ALL],
    expungeAfter: true,
    async run(s) {
      s.untagged(...[atom('CAPABILITY'), ...capabilities(s).map(atom)]);
    },
  },
  NOOP: { states: [...ALL], expungeAfter: true, async run() {} },
  LOGOUT: {
    states: [...ALL],
    expungeAfter: false,
    async run(s) {
      s.status('BYE', 'Logging out');
      s.unselect();
      s.state = 'logout';
    },
  },
  ID: {
    states: [...ALL],
    expungeAfter: true,
    async run(s, cmd) {
      // RFC 2971: the client's parameters are only logged; the server says what it is.
      if (cmd.args[0]?.type === 'list') {
        const p = list(cmd.args[0]);
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < p.length && i < 60; i += 2) fields[astring(p[i]).slice(0, 30)] = p[i + 1].type === 'atom' ? '' : astring(p[i + 1]).slice(0, 1024);
        s.ctx.logger.debug({ id: fields }, 'imap client id');
      } else if (cmd.args[0]?.type !== 'atom' || cmd.args[0].value.toUpperCase() !== 'NIL') throw new ImapError('BAD', 'ID takes a parameter list or NIL');
      const id: ImapData[] = ['name', 'Gannet', 'vendor', 'Gannet'];
      s.untagged(atom('ID'), id);
    },
  },
  COMPRESS: {
    states: ['auth', 'selected'],
    expungeAfter: false,
    async run(s, cmd) {
      if (astring(cmd.args[0]).toUpperCase() !== 'DEFLATE') throw new ImapError('BAD', 'only DEFLATE is supported');
      if (s.wire.compressed) throw new ImapError('NO', 'compression is already active', 'COMPRESSIONACTIVE');
      s.tagged(cmd.tag, 'OK', 'DEFLATE active');
      s.wire.startCompression();
      return { answered: true };
    },
  },
  ENABLE: {
    states: ['auth'],
    expungeAfter: true,
    async run(s, cmd) {
      if (cmd.args.length === 0) throw new ImapError('BAD', 'ENABLE needs at least one capability');
      const supported = new Set(['IMAP4REV2', 'CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT']);
      const now: string[] = [];
      for (const a of cmd.args) {
        const name = astring(a).toUpperCase();
        if (supported.has(name) && !s.enabled.has(name)) {
          s.enabled.add(name);
          now.push(name === 'IMAP4REV2' ? 'IMAP4rev2' : name);
          // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
          if (name === 'QRESYNC') s.enabled.add('CONDSTORE');
        }
      }
      s.untagged(atom('ENABLED'), ...now.map(atom));
    },
  },
};
