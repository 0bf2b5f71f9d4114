import type { App, RouteDeps } from '../app.ts';
import { authRoutes } from './auth.ts';
import { domainRoutes } from './domains.ts';
import { userRoutes } from './users.ts';
import { addressRoutes } from './addresses.ts';
import { mappingRoutes } from './mappings.ts';
import { mailboxRoutes } from './mailboxes.ts';
import { messageRoutes } from './messages.ts';
import { searchRoutes } from './search.ts';
import { threadRoutes } from './threads.ts';
import { updateRoutes } from './updates.ts';
import { remoteRoutes } from './remotes.ts';
import { webhookRoutes } from './webhooks.ts';
import { queueRoutes } from './queue.ts';
import { dkimRoutes } from './dkim.ts';
import { troubleshootRoutes } from './troubleshoot.ts';
import { principalRoutes } from './principals.ts';

/** The native REST API, one module per resource, mounted under /api/v1. */
export function registerRest(app: App, deps: RouteDeps): void {
  for (const routes of [authRoutes, domainRoutes, userRoutes, addressRoutes, mappingRoutes, mailboxRoutes, messageRoutes, searchRoutes, threadRoutes, updateRoutes, remoteRoutes, webhookRoutes, queueRoutes, dkimRoutes, troubleshootRoutes, principalRoutes]) {
    routes(app, deps);
  }
}
