/**
 * Named permissions. Every HTTP route and every mail-protocol login checks exactly one, so
 * an administrator can grant a principal precisely what it needs (issue 7). Names follow
 * Stalwart's kebab-case vocabulary (its seed shows `dkim-signature-get`, `undelete`, …) where
 * Stalwart has the concept, so its principals and roles carry over unchanged; Gannet's own
 * resources get names of the same shape.
 */
/** Logging in on each face, and sending and receiving mail: what every mailbox owner needs. */
const MAILBOX_USE = [
  'authenticate',
  'authenticate-oauth',
  'imap-authenticate',
  'pop3-authenticate',
  'smtp-authenticate',
  'jmap-authenticate',
  'api-authenticate',
  'email-send',
  'email-receive',
] as const;

/** A user's own data and settings. */
const OWN_ACCOUNT = [
  'account-view',
  'account-update',
  'mail-read',
  'mail-write',
  'manage-passwords',
  'manage-app-passwords',
  'manage-2fa',
  'authlog-view',
  'remote-account-list',
  'remote-account-manage',
  'data-export',
  'data-import',
] as const;

export const PERMISSIONS = [
  ...MAILBOX_USE,
  'impersonate',
  'unlimited-requests',
  ...OWN_ACCOUNT,
  // Directory administration.
  'principal-list',
  'principal-get',
  'principal-create',
  'principal-update',
  'principal-delete',
  'individual-list',
  'individual-get',
  'individual-create',
  'individual-update',
  'individual-delete',
  'group-list',
  'group-get',
  'group-create',
  'group-update',
  'group-delete',
  'mailing-list-list',
  'mailing-list-get',
  'mailing-list-create',
  'mailing-list-update',
  'mailing-list-delete',
  'domain-list',
  'domain-get',
  'domain-create',
  'domain-update',
  'domain-delete',
  'role-list',
  'role-get',
  'role-create',
  'role-update',
  'role-delete',
  'tenant-list',
  'tenant-get',
  'tenant-create',
  'tenant-update',
  'tenant-delete',
  'api-key-list',
  'api-key-get',
  'api-key-create',
  'api-key-update',
  'api-key-delete',
  'mapping-list',
  'mapping-create',
  'mapping-delete',
  'address-list',
  'sender-manage',
  'oauth-client-list',
  'oauth-client-registration',
  'oauth-client-delete',
  // Mail system administration.
  'message-queue-list',
  'message-queue-get',
  'message-queue-update',
  'message-queue-delete',
  'queue-control',
  'dkim-signature-get',
  'dkim-signature-create',
  'dkim-signature-delete',
  'dns-records-get',
  'troubleshoot',
  'webhook-list',
  'webhook-manage',
  'remote-account-admin',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(PERMISSIONS);

export const isPermission = (name: string): name is Permission => KNOWN.has(name);

/**
 * The roles every installation has, as Stalwart ships them: `admin` holds everything, `user`
 * what a mailbox owner needs for their own account. Stored roles (principals of type `role`)
 * may include these by name.
 */
export const BUILT_IN_ROLES: Readonly<Record<'admin' | 'user', readonly Permission[]>> = {
  admin: PERMISSIONS,
  user: [
    ...MAILBOX_USE,
    ...OWN_ACCOUNT,
    // The webhooks service shows a user only their own hooks.
    'webhook-list',
    'webhook-manage',
  ],
};

/**
 * What a principal may do: the union of its roles' permissions, plus the ones enabled on it,
 * minus the ones disabled on it (disabled wins, so a role can be granted with exceptions).
 */
export function effectivePermissions(
  rolePermissions: Iterable<readonly Permission[]>,
  enabled: readonly Permission[],
  disabled: readonly Permission[],
): ReadonlySet<Permission> {
  const out = new Set<Permission>(enabled);
  for (const set of rolePermissions) for (const p of set) out.add(p);
  for (const p of disabled) out.delete(p);
  return out;
}
