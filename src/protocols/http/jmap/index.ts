import { jmapLimits, type JmapLimits } from '../../jmap/core/limits.ts';
import type { MethodRegistry } from '../../jmap/types.ts';
import type { App, RouteDeps } from '../app.ts';
import { apiRoutes } from './api.ts';
import { blobRoutes } from './blobs.ts';
import { websocketRoutes } from './websocket.ts';
import { eventSourceRoutes } from './eventsource.ts';
import { defaultRegistry } from './methods.ts';
import { sessionRoutes } from './session.ts';

/** JMAP over HTTP at the root: /.well-known/jmap, /session, /jmap, /eventsource, /upload, /raw, /jmap/ws. */
export async function registerJmap(app: App, deps: RouteDeps, registry: MethodRegistry = defaultRegistry(), limits: JmapLimits = jmapLimits(deps.config)): Promise<void> {
  const env = { limits, maxMessageSize: deps.config.maxMessageSize };
  sessionRoutes(app, deps, registry, env);
  eventSourceRoutes(app, deps, registry);
  await app.register(async (api) => apiRoutes(api as unknown as App, deps, registry, env));
  await app.register(async (blobs) => blobRoutes(blobs as unknown as App, deps, limits));
  await app.register(async (ws) => websocketRoutes(ws as unknown as App, deps, registry, env));
}
