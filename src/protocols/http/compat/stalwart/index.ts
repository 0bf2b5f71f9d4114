import type { App, RouteDeps } from '../../app.ts';
import { accountRoutes } from './account.ts';
import { dkimRoutes } from './dkim.ts';
import { queueRoutes } from './queue.ts';
import { troubleshootRoutes } from './troubleshoot.ts';

/**
 * The Stalwart management API (seed 001) in its own paths and `{data: …}` envelopes, mounted
 * under /compat/stalwart/api. Each route needs the permission its native twin needs (ADR 0027);
 * errors are the same problem details, which match the seed's (type, status, title, detail).
 */
export function registerStalwart(app: App, deps: RouteDeps): void {
  // The seed's document is this API's reference; Gannet's OpenAPI describes the native API.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  queueRoutes(app, deps);
  dkimRoutes(app, deps);
  troubleshootRoutes(app, deps);
  accountRoutes(app, deps);
}
