import { OAuthError } from '../../../services/oauth/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { authorizeRoutes } from './authorize.ts';
import { deviceRoutes } from './device.ts';
import { metadataRoutes } from './metadata.ts';
import { sendOAuthError, tokenRoutes } from './token.ts';
import { tokenStatusRoutes } from './token-status.ts';

const FORM_LIMIT = 64 * 1024;

/**
 * Form bodies (RFC 6749 appendix B). A parameter sent twice is refused (§3.1, §3.2): which of
 * the two a server takes is how parameter-pollution attacks start.
 */
function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, k)) throw new OAuthError('invalid_request', `parameter ${k.slice(0, 40)} is repeated`);
    out[k] = v;
  }
  return out;
}

/** Gannet's OAuth 2.0 / OpenID Connect provider at the root of the HTTP port (ADR 0025). */
export function registerOAuth(app: App, deps: RouteDeps): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // The endpoints speak OAuth's error format; anything else is left to the app's problem details.
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof OAuthError) return sendOAuthError(reply, err);
    if ((err as { validation?: unknown }).validation) return sendOAuthError(reply, new OAuthError('invalid_request', (err as Error).message));
    throw err;
  });
  metadataRoutes(app, deps);
  tokenRoutes(app, deps);
  tokenStatusRoutes(app, deps);
  authorizeRoutes(app, deps);
  deviceRoutes(app, deps);
}
