import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { Metrics } from '../../src/observability/metrics.ts';
import { buildHttpApp } from '../../src/protocols/http/app.ts';
import { declaredRoutes, type RoutePermission } from '../../src/protocols/http/route-permission.ts';
import { BUILT_IN_ROLES, type Permission } from '../../src/services/auth/permissions.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

/** Who a sample request is made as: the path may name their own account. */
interface As {
  userId: string;
  accountId: string;
}

interface Row {
  permission: RoutePermission;
  /** The concrete path to request; ids of things that do not exist are fine: 404 is not a refusal. */
  path: string | ((as: As) => string);
  json?: unknown;
  /** IMAP2API takes its tokens as `Authorization: Token …` and answers in DRF's shapes. */
  scheme?: 'Token';
  /** Open streams (SSE) end as soon as the status is seen. */
  stream?: boolean;
  /**
   * Public to the guard because it authenticates by its own rules (OAuth: client credentials, a
   * token, a sign-in form with a CSRF token), so its own 401/403 for a bare request is expected.
   */
  ownRules?: boolean;
}

const NO_USER = 'u_nobody';
const me = (as: As) => as.userId;

/**
 * Every route of the HTTP API, keyed as Fastify registered it, with a sample request. The test
 * compares this table with the routes the app really has: a new route must be added here.
 */
const MATRIX: Record<string, Row> = {
  'GET /docs/': { permission: 'public', path: '/docs/' },
  'HEAD /docs': { permission: 'public', path: '/docs' },
  'GET /docs/static/index.html': { permission: 'public', path: '/docs/static/index.html' },
  'GET /docs/static/swagger-initializer.js': { permission: 'public', path: '/docs/static/swagger-initializer.js' },
  'GET /docs/json': { permission: 'public', path: '/docs/json' },
  'GET /docs/yaml': { permission: 'public', path: '/docs/yaml' },
  'HEAD /docs/static/*': { permission: 'public', path: '/docs/static/index.css' },
  'GET /docs/static/*': { permission: 'public', path: '/docs/static/index.css' },
  'GET /openapi.json': { permission: 'public', path: '/openapi.json' },
  'POST /api/v1/auth/token': { permission: 'public', path: '/api/v1/auth/token', json: { username: 'alice', password: 'correct horse battery' } },

  'GET /.well-known/oauth-authorization-server': { permission: 'public', path: '/.well-known/oauth-authorization-server' },
  'GET /.well-known/openid-configuration': { permission: 'public', path: '/.well-known/openid-configuration' },
  'GET /oauth/jwks': { permission: 'public', path: '/oauth/jwks' },
  'GET /oauth/authorize': { permission: 'public', path: '/oauth/authorize?client_id=c_nothing' },
  'POST /oauth/authorize': { permission: 'public', path: '/oauth/authorize', json: {}, ownRules: true },
  'POST /oauth/token': { permission: 'public', path: '/oauth/token', json: {}, ownRules: true },
  'POST /oauth/device_authorization': { permission: 'public', path: '/oauth/device_authorization', json: {}, ownRules: true },
  'POST /oauth/revoke': { permission: 'public', path: '/oauth/revoke', json: {}, ownRules: true },
  'POST /oauth/introspect': { permission: 'public', path: '/oauth/introspect', json: {}, ownRules: true },
  'GET /oauth/device': { permission: 'public', path: '/oauth/device' },
  'POST /oauth/device': { permission: 'public', path: '/oauth/device', json: {}, ownRules: true },
  'GET /oauth/userinfo': { permission: 'public', path: '/oauth/userinfo', ownRules: true },
  'POST /oauth/userinfo': { permission: 'public', path: '/oauth/userinfo', ownRules: true },
  'GET /api/v1/oauth/clients': { permission: 'oauth-client-list', path: '/api/v1/oauth/clients' },
  'POST /api/v1/oauth/clients': { permission: 'oauth-client-registration', path: '/api/v1/oauth/clients', json: { name: 'matrix', type: 'public', redirectUris: ['http://127.0.0.1:9/cb'] } },
  'DELETE /api/v1/oauth/clients/:id': { permission: 'oauth-client-delete', path: '/api/v1/oauth/clients/c_nothing' },
  'POST /compat/stalwart/api/oauth': { permission: 'authenticate-oauth', path: '/compat/stalwart/api/oauth', json: { type: 'code', client_id: 'c_nothing', redirect_uri: 'http://127.0.0.1:9/cb' } },

  'GET /api/v1/users/:user/asps': { permission: 'manage-app-passwords', path: (as) => `/api/v1/users/${me(as)}/asps` },
  'POST /api/v1/users/:user/asps': { permission: 'manage-app-passwords', path: (as) => `/api/v1/users/${me(as)}/asps`, json: { description: 'matrix', scopes: ['imap'] } },
  'DELETE /api/v1/users/:user/asps/:asp': { permission: 'manage-app-passwords', path: (as) => `/api/v1/users/${me(as)}/asps/b_nothing` },
  'POST /api/v1/users/:user/2fa/totp': { permission: 'manage-2fa', path: (as) => `/api/v1/users/${me(as)}/2fa/totp`, json: {} },
  'POST /api/v1/users/:user/2fa/totp/verify': { permission: 'manage-2fa', path: (as) => `/api/v1/users/${me(as)}/2fa/totp/verify`, json: { token: '000000' } },
  'POST /api/v1/users/:user/2fa/totp/check': { permission: 'manage-2fa', path: (as) => `/api/v1/users/${me(as)}/2fa/totp/check`, json: { token: '000000' } },
  'DELETE /api/v1/users/:user/2fa/totp': { permission: 'manage-2fa', path: (as) => `/api/v1/users/${me(as)}/2fa/totp` },
  'GET /api/v1/users/:user/authlog': { permission: 'authlog-view', path: (as) => `/api/v1/users/${me(as)}/authlog` },
  'POST /api/v1/authenticate': { permission: 'principal-get', path: '/api/v1/authenticate', json: { username: 'alice', password: 'correct horse battery', ip: '192.0.2.1' } },
  'GET /compat/stalwart/api/account/auth': { permission: 'manage-app-passwords', path: '/compat/stalwart/api/account/auth' },
  'POST /compat/stalwart/api/account/auth': { permission: 'manage-app-passwords', path: '/compat/stalwart/api/account/auth', json: [] },

  'GET /api/v1/domains': { permission: 'domain-list', path: '/api/v1/domains' },
  'POST /api/v1/domains': { permission: 'domain-create', path: '/api/v1/domains', json: { name: 'matrix.test' } },
  'GET /api/v1/domains/:domain': { permission: 'domain-get', path: '/api/v1/domains/nowhere.test' },
  'PATCH /api/v1/domains/:domain': { permission: 'domain-update', path: '/api/v1/domains/nowhere.test', json: { aliases: [] } },
  'DELETE /api/v1/domains/:domain': { permission: 'domain-delete', path: '/api/v1/domains/nowhere.test' },
  'POST /api/v1/domains/:domain/dkim': { permission: 'dkim-signature-create', path: '/api/v1/domains/nowhere.test/dkim', json: {} },
  'GET /api/v1/domains/:domain/dkim': { permission: 'dkim-signature-get', path: '/api/v1/domains/nowhere.test/dkim' },
  'DELETE /api/v1/domains/:domain/dkim/:selector': { permission: 'dkim-signature-delete', path: '/api/v1/domains/nowhere.test/dkim/s1' },
  'GET /api/v1/domains/:domain/dns': { permission: 'dns-records-get', path: '/api/v1/domains/nowhere.test/dns' },

  'GET /api/v1/users': { permission: 'individual-list', path: '/api/v1/users' },
  'POST /api/v1/users': { permission: 'individual-create', path: '/api/v1/users', json: { username: 'matrixuser', password: 'matrix password' } },
  'GET /api/v1/users/:user': { permission: 'account-view', path: (as) => `/api/v1/users/${me(as)}` },
  'PATCH /api/v1/users/:user': { permission: 'account-update', path: (as) => `/api/v1/users/${me(as)}`, json: { name: 'Matrix' } },
  'DELETE /api/v1/users/:user': { permission: 'individual-delete', path: `/api/v1/users/${NO_USER}` },
  'GET /api/v1/users/:user/addresses': { permission: 'account-view', path: (as) => `/api/v1/users/${me(as)}/addresses` },
  'POST /api/v1/users/:user/addresses': { permission: 'individual-update', path: `/api/v1/users/${NO_USER}/addresses`, json: { address: 'x@example.test' } },
  'DELETE /api/v1/users/:user/addresses/:address': { permission: 'individual-update', path: `/api/v1/users/${NO_USER}/addresses/x@example.test` },
  'GET /api/v1/users/:user/senders': { permission: 'account-view', path: (as) => `/api/v1/users/${me(as)}/senders` },
  'PUT /api/v1/users/:user/senders/:address': { permission: 'sender-manage', path: `/api/v1/users/${NO_USER}/senders/x@example.test` },
  'DELETE /api/v1/users/:user/senders/:address': { permission: 'sender-manage', path: `/api/v1/users/${NO_USER}/senders/x@example.test` },
  'GET /api/v1/principals': { permission: 'principal-list', path: '/api/v1/principals' },
  'POST /api/v1/principals': { permission: 'principal-create', path: '/api/v1/principals', json: { type: 'group', name: 'matrix-group' } },
  'GET /api/v1/principals/:id': { permission: 'principal-get', path: '/api/v1/principals/no-such-principal' },
  'PATCH /api/v1/principals/:id': { permission: 'principal-update', path: '/api/v1/principals/no-such-principal', json: { description: 'x' } },
  'DELETE /api/v1/principals/:id': { permission: 'principal-delete', path: '/api/v1/principals/no-such-principal' },
  'GET /api/v1/addresses': { permission: 'address-list', path: '/api/v1/addresses' },
  'GET /api/v1/mappings': { permission: 'mapping-list', path: '/api/v1/mappings' },
  'POST /api/v1/mappings': { permission: 'mapping-create', path: '/api/v1/mappings', json: { source: 'alias@nowhere.test', destination: 'x@example.test' } },
  'DELETE /api/v1/mappings/:id': { permission: 'mapping-delete', path: '/api/v1/mappings/m_nothing' },

  'GET /api/v1/users/:user/mailboxes': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/mailboxes` },
  'POST /api/v1/users/:user/mailboxes': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/mailboxes`, json: { name: 'Matrix' } },
  'GET /api/v1/users/:user/mailboxes/:mailbox': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/mailboxes/b_nothing` },
  'PATCH /api/v1/users/:user/mailboxes/:mailbox': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/mailboxes/b_nothing`, json: { name: 'Other' } },
  'DELETE /api/v1/users/:user/mailboxes/:mailbox': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/mailboxes/b_nothing` },
  'GET /api/v1/users/:user/mailboxes/:mailbox/messages': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/mailboxes/b_nothing/messages` },
  'POST /api/v1/users/:user/mailboxes/:mailbox/messages': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/mailboxes/b_nothing/messages`, json: {} },
  'GET /api/v1/users/:user/messages/:message': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/messages/e_nothing` },
  'PATCH /api/v1/users/:user/messages/:message': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/messages/e_nothing`, json: { keywords: {} } },
  'DELETE /api/v1/users/:user/messages/:message': { permission: 'mail-write', path: (as) => `/api/v1/users/${me(as)}/messages/e_nothing` },
  'GET /api/v1/users/:user/messages/:message/raw': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/messages/e_nothing/raw` },
  'GET /api/v1/users/:user/messages/:message/attachments/:attachment': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/messages/e_nothing/attachments/1` },
  'GET /api/v1/users/:user/search': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/search?q=x` },
  'GET /api/v1/users/:user/threads/:thread': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/threads/t_nothing` },
  'GET /api/v1/users/:user/updates': { permission: 'mail-read', path: (as) => `/api/v1/users/${me(as)}/updates`, stream: true },

  'GET /api/v1/remotes': { permission: 'remote-account-admin', path: '/api/v1/remotes' },
  'GET /api/v1/users/:user/remotes': { permission: 'remote-account-list', path: (as) => `/api/v1/users/${me(as)}/remotes` },
  'POST /api/v1/users/:user/remotes': { permission: 'remote-account-manage', path: (as) => `/api/v1/users/${me(as)}/remotes`, json: {} },
  'GET /api/v1/users/:user/remotes/:remote': { permission: 'remote-account-list', path: (as) => `/api/v1/users/${me(as)}/remotes/r_nothing` },
  'PATCH /api/v1/users/:user/remotes/:remote': { permission: 'remote-account-manage', path: (as) => `/api/v1/users/${me(as)}/remotes/r_nothing`, json: { name: 'x' } },
  'DELETE /api/v1/users/:user/remotes/:remote': { permission: 'remote-account-manage', path: (as) => `/api/v1/users/${me(as)}/remotes/r_nothing` },
  'POST /api/v1/users/:user/remotes/:remote/sync': { permission: 'remote-account-manage', path: (as) => `/api/v1/users/${me(as)}/remotes/r_nothing/sync` },

  'GET /api/v1/webhooks': { permission: 'webhook-list', path: '/api/v1/webhooks' },
  'POST /api/v1/webhooks': { permission: 'webhook-manage', path: '/api/v1/webhooks', json: {} },
  'GET /api/v1/webhooks/:id': { permission: 'webhook-list', path: '/api/v1/webhooks/w_nothing' },
  'PATCH /api/v1/webhooks/:id': { permission: 'webhook-manage', path: '/api/v1/webhooks/w_nothing', json: { enabled: false } },
  'DELETE /api/v1/webhooks/:id': { permission: 'webhook-manage', path: '/api/v1/webhooks/w_nothing' },
  'GET /api/v1/webhooks/:id/deliveries': { permission: 'webhook-list', path: '/api/v1/webhooks/w_nothing/deliveries' },
  'POST /api/v1/webhooks/:id/test': { permission: 'webhook-manage', path: '/api/v1/webhooks/w_nothing/test' },

  'GET /api/v1/queue/messages': { permission: 'message-queue-list', path: '/api/v1/queue/messages' },
  'POST /api/v1/queue/messages/reschedule': { permission: 'message-queue-update', path: '/api/v1/queue/messages/reschedule', json: {} },
  'POST /api/v1/queue/messages/cancel': { permission: 'message-queue-delete', path: '/api/v1/queue/messages/cancel', json: { sender: 'nobody@nowhere.test' } },
  'GET /api/v1/queue/messages/:id': { permission: 'message-queue-get', path: '/api/v1/queue/messages/q_nothing' },
  'PATCH /api/v1/queue/messages/:id': { permission: 'message-queue-update', path: '/api/v1/queue/messages/q_nothing', json: {} },
  'DELETE /api/v1/queue/messages/:id': { permission: 'message-queue-delete', path: '/api/v1/queue/messages/q_nothing' },
  'DELETE /api/v1/queue/messages/:id/recipients/:address': { permission: 'message-queue-delete', path: '/api/v1/queue/messages/q_nothing/recipients/x@nowhere.test' },
  'GET /api/v1/queue/status': { permission: 'message-queue-list', path: '/api/v1/queue/status' },
  'POST /api/v1/queue/status/stop': { permission: 'queue-control', path: '/api/v1/queue/status/stop' },
  'POST /api/v1/queue/status/start': { permission: 'queue-control', path: '/api/v1/queue/status/start' },
  'GET /api/v1/troubleshoot/delivery/:recipient': { permission: 'troubleshoot', path: '/api/v1/troubleshoot/delivery/not-an-address' },

  'GET /.well-known/jmap': { permission: 'public', path: '/.well-known/jmap' },
  'GET /session': { permission: 'jmap-authenticate', path: '/session' },
  'GET /eventsource': { permission: 'jmap-authenticate', path: '/eventsource?types=*&closeafter=no&ping=0', stream: true },
  'POST /jmap': { permission: 'jmap-authenticate', path: '/jmap', json: { using: [], methodCalls: [] } },
  'POST /upload/:accountId': { permission: 'jmap-authenticate', path: (as) => `/upload/${as.accountId}`, json: {} },
  'GET /raw/:accountId/:blobId/:name': { permission: 'jmap-authenticate', path: (as) => `/raw/${as.accountId}/G_nothing/x.txt` },
  'GET /jmap/ws': { permission: 'jmap-authenticate', path: '/jmap/ws' },
  'GET /pdpa': { permission: 'data-export', path: '/pdpa', stream: true },
  'POST /pdpa': { permission: 'data-import', path: '/pdpa' },

  'OPTIONS /compat/imap2api/*': { permission: 'public', path: '/compat/imap2api/api/emails/' },
  'POST /compat/imap2api/api-token-auth/': { permission: 'public', path: '/compat/imap2api/api-token-auth/', json: { username: 'alice', password: 'correct horse battery' } },
  ...Object.fromEntries(
    ['/api', '/api/v1'].flatMap((prefix) => {
      const p = `/compat/imap2api${prefix}`;
      const rows: [string, Row][] = [
        [`GET ${p}/imap-servers/`, { permission: 'remote-account-list', path: `${p}/imap-servers/` }],
        [`POST ${p}/imap-servers/`, { permission: 'remote-account-manage', path: `${p}/imap-servers/`, json: {} }],
        [`GET ${p}/imap-servers/:id/`, { permission: 'remote-account-list', path: `${p}/imap-servers/999/` }],
        [`PUT ${p}/imap-servers/:id/`, { permission: 'remote-account-manage', path: `${p}/imap-servers/999/`, json: {} }],
        [`PATCH ${p}/imap-servers/:id/`, { permission: 'remote-account-manage', path: `${p}/imap-servers/999/`, json: {} }],
        [`DELETE ${p}/imap-servers/:id/`, { permission: 'remote-account-manage', path: `${p}/imap-servers/999/` }],
        [`POST ${p}/imap-servers/:id/sync/`, { permission: 'remote-account-manage', path: `${p}/imap-servers/999/sync/` }],
        [`GET ${p}/emails/`, { permission: 'mail-read', path: `${p}/emails/` }],
        [`GET ${p}/emails/threads/`, { permission: 'mail-read', path: `${p}/emails/threads/` }],
        [`GET ${p}/emails/folders/`, { permission: 'mail-read', path: `${p}/emails/folders/` }],
        [`GET ${p}/emails/statistics/`, { permission: 'mail-read', path: `${p}/emails/statistics/` }],
        [`GET ${p}/emails/:id/`, { permission: 'mail-read', path: `${p}/emails/999/` }],
        [`GET ${p}/emails/:id/thread/`, { permission: 'mail-read', path: `${p}/emails/999/thread/` }],
      ];
      return rows.map(([k, row]) => [k, { ...row, scheme: 'Token' as const }]);
    }),
  ),

  'GET /compat/stalwart/api/principal': { permission: 'principal-list', path: '/compat/stalwart/api/principal' },
  'POST /compat/stalwart/api/principal': { permission: 'principal-create', path: '/compat/stalwart/api/principal', json: { type: 'group', name: 'matrix-group-2' } },
  'GET /compat/stalwart/api/principal/:principal_id': { permission: 'principal-get', path: '/compat/stalwart/api/principal/no-such-principal' },
  'PATCH /compat/stalwart/api/principal/:principal_id': { permission: 'principal-update', path: '/compat/stalwart/api/principal/no-such-principal', json: [] },
  'DELETE /compat/stalwart/api/principal/:principal_id': { permission: 'principal-delete', path: '/compat/stalwart/api/principal/no-such-principal' },
  'GET /compat/stalwart/api/queue/messages': { permission: 'message-queue-list', path: '/compat/stalwart/api/queue/messages' },
  'PATCH /compat/stalwart/api/queue/messages': { permission: 'message-queue-update', path: '/compat/stalwart/api/queue/messages?filter=nowhere.test' },
  'DELETE /compat/stalwart/api/queue/messages': { permission: 'message-queue-delete', path: '/compat/stalwart/api/queue/messages?text=nowhere.test' },
  'GET /compat/stalwart/api/queue/messages/:message_id': { permission: 'message-queue-get', path: '/compat/stalwart/api/queue/messages/q_nothing' },
  'PATCH /compat/stalwart/api/queue/messages/:message_id': { permission: 'message-queue-update', path: '/compat/stalwart/api/queue/messages/q_nothing' },
  'DELETE /compat/stalwart/api/queue/messages/:message_id': { permission: 'message-queue-delete', path: '/compat/stalwart/api/queue/messages/q_nothing' },
  'GET /compat/stalwart/api/queue/status': { permission: 'message-queue-list', path: '/compat/stalwart/api/queue/status' },
  'PATCH /compat/stalwart/api/queue/status/stop': { permission: 'queue-control', path: '/compat/stalwart/api/queue/status/stop' },
  'PATCH /compat/stalwart/api/queue/status/start': { permission: 'queue-control', path: '/compat/stalwart/api/queue/status/start' },
  'POST /compat/stalwart/api/dkim': { permission: 'dkim-signature-create', path: '/compat/stalwart/api/dkim', json: {} },
  'GET /compat/stalwart/api/dns/records/:domain': { permission: 'dns-records-get', path: '/compat/stalwart/api/dns/records/nowhere.test' },
  'GET /compat/stalwart/api/troubleshoot/delivery/:recipient': { permission: 'troubleshoot', path: '/compat/stalwart/api/troubleshoot/delivery/not-an-address' },
};

const USER_ROLE: ReadonlySet<string> = new Set(BUILT_IN_ROLES.user);

// What signing in to the API takes, besides the route's own permission.
const LOGIN: Permission[] = ['authenticate', 'api-authenticate'];

let server: TestServer;
let user: { token: string; as: As };
let holder: { id: string; token: string; as: As };
let lacker: { id: string; token: string; as: As };

async function tokenFor(username: string, password: string): Promise<string> {
  const res = await server.api('/api/v1/auth/token', { method: 'POST', json: { username, password }, token: null });
  assert.equal(res.status, 201, `token for ${username}`);
  return ((await res.json()) as { token: string }).token;
}

before(async () => {
  server = (await startTestServer())!;
  const alice = await createUser(server, 'alice');
  await createUser(server, 'bob');
  const principal = await server.services.directory.principal(alice.id);
  user = { token: await tokenFor(alice.username, alice.password), as: { userId: alice.id, accountId: principal!.accountId } };
  const signIn = async (name: string) => {
    const u = await createUser(server, name);
    const p = await server.services.directory.principal(u.id);
    return { id: u.id, token: await tokenFor(u.username, u.password), as: { userId: u.id, accountId: p!.accountId } };
  };
  holder = await signIn('holder');
  lacker = await signIn('lacker');
});

/** Sets what a user may do through the principals API; it applies from their next request. */
async function setPermissions(userId: string, enabled: Permission[], disabled: Permission[]): Promise<void> {
  const res = await server.api(`/api/v1/principals/${userId}`, { method: 'PATCH', json: { roles: [], enabledPermissions: enabled, disabledPermissions: disabled } });
  assert.equal(res.status, 200, await res.text());
}

/** The user role minus the route's permission; or nothing but the permission and what login takes. */
const without = (p: Permission) => setPermissions(lacker.id, [], [p]);
const exactly = (p: Permission) => setPermissions(holder.id, [p, ...LOGIN], BUILT_IN_ROLES.user.filter((q) => q !== p && !LOGIN.includes(q)));
after(() => server.stop());

/** The request a row describes, as the given credentials (null: none). */
async function call(key: string, row: Row, token: string | null, as: As): Promise<Response> {
  const method = key.split(' ')[0];
  const path = typeof row.path === 'function' ? row.path(as) : row.path;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `${row.scheme ?? 'Bearer'} ${token}`;
  if (method === 'OPTIONS') Object.assign(headers, { origin: 'https://app.example', 'access-control-request-method': 'GET' });
  // A redirect (JMAP autodiscovery) is the answer itself, not a request to the next route.
  return server.api(path, { method, headers, token: null, redirect: 'manual', ...(row.json !== undefined ? { json: row.json } : {}) });
}

/**
 * Refused for want of credentials or of the permission, as opposed to a 403 the route itself
 * gives once let in (a wrong TOTP code, as WildDuck answers it).
 */
const refusedEntry = (o: { status: number; body: Record<string, unknown> | null }) => o.status === 401 || (o.status === 403 && !/TOTP code/.test(String(o.body?.detail ?? '')));

/** The status, and the body when it is a refusal; any other body (a stream, perhaps) is dropped unread. */
async function outcome(res: Response): Promise<{ status: number; body: Record<string, unknown> | null; type: string }> {
  const type = res.headers.get('content-type') ?? '';
  if ((res.status === 401 || res.status === 403) && /json/.test(type)) return { status: res.status, type, body: (await res.json()) as Record<string, unknown> };
  await res.body?.cancel();
  return { status: res.status, type, body: null };
}

test('every route the app registers declares a permission, and the matrix lists each of them with it', async () => {
  const app = await buildHttpApp({ config: server.config, services: server.services, logger: pino({ level: 'silent' }), metrics: new Metrics() });
  await app.ready();
  const registered = declaredRoutes(app);
  await app.close();
  const inMatrix = Object.keys(MATRIX).sort();
  const inApp = registered.map((r) => `${r.method} ${r.url}`).sort();
  assert.deepEqual(inApp, inMatrix, 'a route is missing from the matrix, or the matrix lists one the app no longer has');
  for (const r of registered) assert.equal(r.permission, MATRIX[`${r.method} ${r.url}`].permission, `${r.method} ${r.url}`);
});

test('a route missing its permission declaration stops the app from starting', async () => {
  const app = await buildHttpApp({ config: server.config, services: server.services, logger: pino({ level: 'silent' }), metrics: new Metrics() });
  app.get('/undeclared', async () => 'open');
  await assert.rejects(async () => { await app.ready(); }, /routes without a declared permission: GET \/undeclared/);
  await app.close();
});

test('the OpenAPI document names the permission of each operation it lists', async () => {
  const doc = (await (await server.api('/openapi.json', { token: null })).json()) as { paths: Record<string, Record<string, { 'x-permission'?: string }>> };
  let seen = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      assert.ok(MATRIX[key], `${key} is documented but not in the matrix`);
      assert.equal(op['x-permission'], MATRIX[key].permission, key);
      seen++;
    }
  }
  assert.ok(seen > 50, `only ${seen} operations documented`);
});

test('without credentials every guarded route answers 401 (problem details, or DRF on IMAP2API); public ones do not', async () => {
  for (const [key, row] of Object.entries(MATRIX)) {
    const { status, body, type } = await outcome(await call(key, row, null, user.as));
    if (row.permission === 'public') {
      if (!row.ownRules) assert.ok(status !== 401 && status !== 403, `${key}: public, got ${status}`);
      continue;
    }
    assert.equal(status, 401, key);
    if (row.scheme === 'Token') assert.equal(typeof body?.detail, 'string', key);
    else {
      assert.match(type, /^application\/problem\+json/, key);
      assert.equal(body?.status, 401, key);
    }
  }
});

test('a user holding only the user role is refused (403) on every route needing a permission outside it', async () => {
  let refused = 0;
  for (const [key, row] of Object.entries(MATRIX)) {
    if (row.permission === 'public' || USER_ROLE.has(row.permission)) continue;
    const { status, body, type } = await outcome(await call(key, row, user.token, user.as));
    assert.equal(status, 403, key);
    assert.match(type, /^application\/problem\+json/, key);
    assert.equal(body?.type, 'urn:gannet:problem:forbidden', key);
    assert.match(String(body?.detail), new RegExp(`needs the ${row.permission} permission`), key);
    refused++;
  }
  assert.ok(refused >= 40, `only ${refused} admin routes checked`);
});

test('a user is not refused on any route whose permission the user role holds', async () => {
  let allowed = 0;
  for (const [key, row] of Object.entries(MATRIX)) {
    if (row.permission === 'public' || !USER_ROLE.has(row.permission)) continue;
    const got = await outcome(await call(key, row, user.token, user.as));
    assert.ok(!refusedEntry(got), `${key}: got ${got.status} ${JSON.stringify(got.body)}`);
    allowed++;
  }
  assert.ok(allowed >= 40, `only ${allowed} user routes checked`);
});

test('for every route: a principal lacking its permission gets 403, one holding exactly that permission is let through', async () => {
  for (const [key, row] of Object.entries(MATRIX)) {
    if (row.permission === 'public') continue;
    const permission = row.permission;
    await without(permission);
    const refused = await outcome(await call(key, row, lacker.token, lacker.as));
    assert.equal(refused.status, 403, `${key} without ${permission}`);
    if (row.scheme === 'Token') assert.equal(typeof refused.body?.detail, 'string', key);
    else {
      assert.match(refused.type, /^application\/problem\+json/, key);
      assert.match(String(refused.body?.detail), new RegExp(`needs the ${permission} permission`), key);
    }
    await exactly(permission);
    const let_ = await outcome(await call(key, row, holder.token, holder.as));
    assert.ok(!refusedEntry(let_), `${key} with only ${permission}: got ${let_.status} ${JSON.stringify(let_.body)}`);
  }
});

test('impersonate opens another user\'s data to whoever also holds the route\'s permission', async () => {
  const bob = (await (await server.api('/api/v1/users?query=bob')).json()) as { results: { id: string }[] };
  const path = `/api/v1/users/${bob.results[0]!.id}/mailboxes`;
  await setPermissions(holder.id, ['impersonate', 'mail-read', ...LOGIN], BUILT_IN_ROLES.user.filter((q) => q !== 'mail-read' && !LOGIN.includes(q)));
  const res = await server.api(path, { token: holder.token });
  assert.equal(res.status, 200);
  assert.ok(((await res.json()) as { results: { role: string | null }[] }).results.some((m) => m.role === 'inbox'));
  // impersonate alone reaches the user, not the data: the route's own permission is still needed.
  await setPermissions(holder.id, ['impersonate', ...LOGIN], BUILT_IN_ROLES.user.filter((q) => !LOGIN.includes(q)));
  assert.equal((await server.api(path, { token: holder.token })).status, 403);
});

test('JMAP methods need mail-read to read, mail-write to change, email-send to send; Core/echo nothing', async () => {
  const others = (keep: Permission[]) => BUILT_IN_ROLES.user.filter((q) => !keep.includes(q));
  const grant = (perms: Permission[]) => setPermissions(holder.id, [...perms, ...LOGIN], others([...perms, ...LOGIN]));
  const accountId = holder.as.accountId;
  const jmap = async () => {
    const res = await server.api('/jmap', {
      method: 'POST',
      token: holder.token,
      json: {
        using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'],
        methodCalls: [
          ['Core/echo', { hello: true }, 'e'],
          ['Mailbox/get', { accountId, ids: null }, 'r'],
          ['Mailbox/set', { accountId, create: { m: { name: 'From JMAP' } } }, 'w'],
          ['EmailSubmission/set', { accountId, create: {} }, 's'],
        ],
      },
    });
    assert.equal(res.status, 200);
    const { methodResponses } = (await res.json()) as { methodResponses: [string, Record<string, unknown>, string][] };
    return Object.fromEntries(methodResponses.map(([name, args, id]) => [id, name === 'error' ? `error:${String(args.type)}` : name]));
  };
  await grant(['jmap-authenticate']);
  assert.deepEqual(await jmap(), { e: 'Core/echo', r: 'error:forbidden', w: 'error:forbidden', s: 'error:forbidden' });
  await grant(['jmap-authenticate', 'mail-read']);
  assert.deepEqual(await jmap(), { e: 'Core/echo', r: 'Mailbox/get', w: 'error:forbidden', s: 'error:forbidden' });
  await grant(['jmap-authenticate', 'mail-read', 'mail-write', 'email-send']);
  assert.deepEqual(await jmap(), { e: 'Core/echo', r: 'Mailbox/get', w: 'Mailbox/set', s: 'EmailSubmission/set' });
});

test("another user's data needs impersonate: without it the user is told it does not exist", async () => {
  const bob = (await (await server.api('/api/v1/users?query=bob')).json()) as { results: { id: string }[] };
  const bobId = bob.results[0]!.id;
  for (const path of [`/api/v1/users/${bobId}`, `/api/v1/users/${bobId}/mailboxes`, `/api/v1/users/${bobId}/remotes`]) {
    assert.equal((await server.api(path, { token: user.token })).status, 404, path);
    assert.equal((await server.api(path)).status, 200, `${path} with the admin token`);
  }
});

test('HEAD routes Fastify adds for GET ones need what the GET needs', async () => {
  assert.equal((await server.api('/api/v1/users', { method: 'HEAD', token: null })).status, 401);
  assert.equal((await server.api('/api/v1/users', { method: 'HEAD', token: user.token })).status, 403);
  assert.equal((await server.api(`/api/v1/users/${user.as.userId}`, { method: 'HEAD', token: user.token })).status, 200);
});

test('changing quota or disabled on PATCH /users/{user} also needs individual-update', async () => {
  const res = await server.api(`/api/v1/users/${user.as.userId}`, { method: 'PATCH', json: { quota: 1 }, token: user.token });
  assert.equal(res.status, 403);
  assert.match(((await res.json()) as { detail: string }).detail, /individual-update/);
  assert.equal((await server.api(`/api/v1/users/${user.as.userId}`, { method: 'PATCH', json: { quota: 0 } })).status, 200);
});

