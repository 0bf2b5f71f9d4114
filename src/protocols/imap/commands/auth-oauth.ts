import { oauthLogin } from '../../shared/oauth-login.ts';
import { oauthErrorChallenge, parseOAuthResponse, type OAuthMechanism } from '../../shared/sasl-oauth.ts';
import { ImapError } from '../responses.ts';
import type { Done, ImapSession } from '../session.ts';
import { capabilities } from './any-state.ts';

/**
 * AUTHENTICATE OAUTHBEARER / XOAUTH2 (RFC 7628 §3.2.3): on failure the server first sends the
 * JSON error as a continuation, the client answers (^A or nothing), then the command fails.
 */
export async function oauthLogIn(s: ImapSession, mechanism: OAuthMechanism, response: Buffer, ask: (prompt: string) => Promise<Buffer>): Promise<Done> {
  const result = await oauthLogin(s.services, 'imap', s.wire.remoteAddress, mechanism, () => parseOAuthResponse(mechanism, response));
  if (result.principal) {
    s.principal = result.principal;
    s.state = 'auth';
    return { text: 'logged in', code: `CAPABILITY ${capabilities(s).join(' ')}` };
  }
  await ask(oauthErrorChallenge(mechanism, { status: result.status, scope: 'imap', issuer: s.ctx.config.oauthIssuer || null }));
  throw new ImapError('NO', result.reason, 'AUTHENTICATIONFAILED');
}
