import type { AccountRow, PrincipalRow } from '../../store/db/schema.ts';
import type { RoleEdge } from '../../store/repos/principals.ts';
import type { Permission } from '../auth/permissions.ts';
import { resolvePermissions } from './roles.ts';

export type AccountKind = 'local' | 'imap' | 'jmap';

/** One account of a principal's pool, as every face presents it (JMAP Session accounts). */
export interface PoolAccount {
  id: string;
  name: string;
  kind: AccountKind;
  /** The pool holds the principal's own accounts; accounts shared by others will not be personal. */
  isPersonal: boolean;
  isReadOnly: boolean;
  /** The local account the principal's addresses deliver to; exactly one per pool. */
  isPrimary: boolean;
}

/** An authenticated person and the accounts they may use. */
export interface Principal {
  id: string;
  username: string;
  /** The primary account. */
  accountId: string;
  /** The account pool, primary first: what a JMAP session lists and /copy may move between. */
  accounts: PoolAccount[];
  /** What this principal may do (roles + enabled − disabled), checked by every route and login. */
  permissions: ReadonlySet<Permission>;
  /** The tenant this principal belongs to: a tenant administrator manages only its tenant. */
  tenantId?: string | null;
}

export function poolAccount(row: Pick<AccountRow, 'id' | 'name' | 'kind' | 'is_primary'>): PoolAccount {
  return { id: row.id, name: row.name, kind: row.kind as AccountKind, isPersonal: true, isReadOnly: false, isPrimary: row.is_primary === 1 };
}

/**
 * The principal with its pool (rows from directoryRepo.poolOf) and permissions (from
 * principalRepo.roleEdges); null when it has no primary account.
 */
export function principalWithPool(row: PrincipalRow, accounts: AccountRow[], roleEdges: RoleEdge[]): Principal | null {
  const primary = accounts.find((a) => a.is_primary === 1);
  if (!primary) return null;
  const permissions = resolvePermissions(row, roleEdges);
  return { id: row.id, username: row.username, accountId: primary.id, accounts: accounts.map(poolAccount), permissions, tenantId: row.tenant_id ?? null };
}
