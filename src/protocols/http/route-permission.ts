import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Permission } from '../../services/auth/permissions.ts';

/**
 * What a route needs (ADR 0027): one named permission, or `public` for the few routes that
 * exist to be reached before signing in (token login, JMAP autodiscovery, the API docs).
 */
export type RoutePermission = Permission | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /**
     * The permission suffices, and so does the object type's own one (`individual-list` for
     * individuals…): the type is known only to the service, which checks (principals, ADR 0026).
     */
    byType?: boolean;
    /**
     * Set by a surface that answers authentication and permission failures in its own shapes
     * (IMAP2API's DRF errors): the app-wide check steps aside and the surface enforces `permission`.
     */
    ownAuth?: boolean;
    /**
     * The Authorization header, when present, carries an OAuth client's credentials (RFC 6749
     * §2.3.1), which the route checks itself: the app-wide check must not try them as a person's
     * login, where each would count as a failed one (delayed, and in the end locking the address
     * out). Such a request spends its address's anonymous budget.
     */
    clientAuth?: boolean;
  }
}

/** Route options declaring the permission: spread into a route's options next to its schema. */
export const needs = (permission: RoutePermission, opts: { byType?: boolean; clientAuth?: boolean } = {}) => ({
  config: { permission, ...(opts.byType ? { byType: true } : {}), ...(opts.clientAuth ? { clientAuth: true } : {}) },
});

export interface DeclaredRoute {
  method: string;
  url: string;
  permission: RoutePermission;
  byType: boolean;
}

const tables = new WeakMap<object, RouteOptions[]>();

/**
 * Records every route the app registers, and makes `ready()` fail when one declares no
 * permission: a new route cannot ship unguarded by forgetting the declaration. HEAD routes
 * Fastify adds for each GET share the GET's declaration and are not listed separately.
 */
export function trackRoutePermissions(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  tables.set(app, routes);
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.addHook('onReady', async () => {
    const missing = declaredOf(routes).filter((r) => r.permission === undefined);
    if (missing.length) throw new Error(`routes without a declared permission: ${missing.map((r) => `${r.method} ${r.url}`).join(', ')}`);
  });
}

function declaredOf(routes: RouteOptions[]): DeclaredRoute[] {
  const out: DeclaredRoute[] = [];
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' && methods.length === 1 && routes.some((r) => r.url === route.url && r.method === 'GET')) continue;
      out.push({ method, url: route.url, permission: route.config?.permission as RoutePermission, byType: route.config?.byType === true });
    }
  }
  return out;
}

/** Every route of an app built with trackRoutePermissions, with what it needs. */
export function declaredRoutes(app: FastifyInstance): DeclaredRoute[] {
  const routes = tables.get(app);
  if (!routes) throw new Error('this app does not track route permissions');
  return declaredOf(routes);
}
