import type { CapabilityEnv } from '../../jmap/core/capabilities.ts';
import { upstreamOf } from '../../jmap/core/forward.ts';
import { buildSession } from '../../jmap/core/session.ts';
import type { MethodRegistry } from '../../jmap/types.ts';
import type { App, RouteDeps } from '../app.ts';
import { baseUrl } from './base-url.ts';
import { principalOf, requireUser } from './principal.ts';
import { WEBSOCKET, websocketCapability } from './websocket.ts';
import { needs } from '../route-permission.ts';

export function sessionRoutes(app: App, { auth, config, services }: RouteDeps, registry: MethodRegistry, env: CapabilityEnv): void {
  // RFC 8620 §2.2: autodiscovery lands here; the redirect carries no account data, so it needs no credentials.
  app.get('/.well-known/jmap', { ...needs('public'), schema: { hide: true } }, async (_req, reply) => reply.redirect('/session', 301));

  app.get('/session', { ...needs('jmap-authenticate'), schema: { hide: true }, onRequest: requireUser(auth) }, async (req, reply) => {
    // The client refetches when sessionState changes; an HTTP cache in between would hide that (§2).
    reply.header('cache-control', 'no-cache, no-store, must-revalidate');
    const base = baseUrl(req, config.hostname);
    const principal = principalOf(req);
    const session = buildSession(principal, registry, env, base, (await upstreamOf(principal, services))?.accounts);
    session.capabilities[WEBSOCKET] = websocketCapability(base);
    return session;
  });
}
