import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from 'smtp-server';
import type { Services } from '../../services/index.ts';
import { oauthLogin } from '../shared/oauth-login.ts';
import { oauthErrorBody, type OAuthMechanism } from '../shared/sasl-oauth.ts';

/**
 * onAuth for XOAUTH2 and OAUTHBEARER on submission: smtp-server parsed the message already; a
 * failure answers with the error body, which goes out as the 334 challenge before the 535.
 */
export async function oauthAuth(services: Services, auth: SMTPServerAuthentication, issuer: string, ip: string): Promise<SMTPServerAuthenticationResponse> {
  const mechanism = auth.method as OAuthMechanism;
  const user = auth.username ? auth.username : null;
  const result = await oauthLogin(services, 'smtp', ip, mechanism, () => ({ user, token: auth.accessToken ?? '' }));
  if (result.principal) return { user: result.principal as unknown as string };
  return { data: oauthErrorBody(mechanism, { status: result.status, scope: 'smtp', issuer: issuer || null }) } as unknown as SMTPServerAuthenticationResponse;
}
