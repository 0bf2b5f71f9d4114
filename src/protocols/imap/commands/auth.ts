import { AuthRefused } from '../../../services/auth/authenticate.ts';
import { astring } from '../args.ts';
import { ImapError } from '../responses.ts';
import type { CommandSpec, Done, ImapSession } from '../session.ts';
import { isOAuthMechanism } from '../../shared/sasl-oauth.ts';
import { capabilities } from './any-state.ts';
import { oauthLogIn } from './auth-oauth.ts';

async function logIn(s: ImapSession, login: string, password: string, mechanism: string): Promise<Done> {
  if (!s.plaintextAllowed) throw new ImapError('NO', 'use STARTTLS (or port 993) before sending a password', 'PRIVACYREQUIRED');
  let principal;
  try {
    ({ principal } = await s.services.auth.authenticate({ login, secret: password, protocol: 'imap', ip: s.wire.remoteAddress, mechanism }));
  } catch (err) {
    if (err instanceof AuthRefused) throw new ImapError('NO', err.message, err.reason === 'throttled' ? 'UNAVAILABLE' : 'AUTHENTICATIONFAILED');
    throw err;
  }
  s.principal = principal;
  s.state = 'auth';
  return { text: 'logged in', code: `CAPABILITY ${capabilities(s).join(' ')}` };
}

const b64 = (line: string): Buffer => {
  if (line === '*') throw new ImapError('BAD', 'authentication cancelled');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) throw new ImapError('BAD', 'not base64');
  return Buffer.from(line, 'base64');
};

/** SASL PLAIN (RFC 4616): authzid NUL authcid NUL password; acting as someone else is not offered. */
function plain(message: Buffer): { login: string; password: string } {
  const parts = message.toString('utf8').split('\0');
  if (parts.length !== 3) throw new ImapError('BAD', 'malformed PLAIN response');
  const [authz, login, password] = parts;
  if (authz && authz !== login) throw new ImapError('NO', 'authorization identity must be the login', 'AUTHORIZATIONFAILED');
  return { login, password };
}

export const authCommands: Record<string, CommandSpec> = {
  STARTTLS: {
    states: ['notauth'],
    expungeAfter: false,
    async run(s, cmd) {
      if (s.wire.secure) throw new ImapError('BAD', 'TLS is already active');
      s.tagged(cmd.tag, 'OK', 'begin TLS negotiation now');
      await s.wire.startTls();
      return { answered: true };
    },
  },
  LOGIN: {
    states: ['notauth'],
    expungeAfter: false,
    async run(s, cmd) {
      if (cmd.args.length !== 2) throw new ImapError('BAD', 'LOGIN takes a user name and a password');
      return logIn(s, astring(cmd.args[0]), astring(cmd.args[1]), 'LOGIN');
    },
  },
  AUTHENTICATE: {
    states: ['notauth'],
    expungeAfter: false,
    async run(s, cmd) {
      const mechanism = astring(cmd.args[0]).toUpperCase();
      // The reader must expect the raw answer before the "+" that asks for it goes out.
      const ask = async (prompt: string) => {
        const answer = s.wire.nextRawLine();
        s.continuation(prompt);
        return b64(await answer);
      };
      const initial = cmd.args[1] ? astring(cmd.args[1]) : null;
      // SASL-IR (RFC 4959): "=" is an empty initial response.
      const first = async (prompt: string) => (initial !== null ? (initial === '=' ? Buffer.alloc(0) : b64(initial)) : ask(prompt));
      if (!s.plaintextAllowed) throw new ImapError('NO', 'use STARTTLS (or port 993) before sending a password', 'PRIVACYREQUIRED');
      if (mechanism === 'PLAIN') {
        const { login, password } = plain(await first(''));
        return logIn(s, login, password, 'AUTHENTICATE PLAIN');
      }
      if (mechanism === 'LOGIN') {
        const login = (await first(Buffer.from('Username:').toString('base64'))).toString('utf8');
        const password = (await ask(Buffer.from('Password:').toString('base64'))).toString('utf8');
        return logIn(s, login, password, 'AUTHENTICATE LOGIN');
      }
      if (isOAuthMechanism(mechanism)) return oauthLogIn(s, mechanism, await first(''), ask);
      throw new ImapError('NO', `mechanism ${mechanism.slice(0, 20)} is not supported`, 'CANNOT');
    },
  },
};
