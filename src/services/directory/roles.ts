import type { PrincipalRow } from '../../store/db/schema.ts';
import type { Db } from '../../store/db/connect.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { principalRepo, type RoleEdge } from '../../store/repos/principals.ts';
import { BUILT_IN_ROLES, effectivePermissions, isPermission, type Permission } from '../auth/permissions.ts';

/** A stored JSON list of permission names; names a newer or older server no longer knows are ignored. */
export function permissionList(json: string | null | undefined): Permission[] {
  if (!json) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((p): p is Permission => typeof p === 'string' && isPermission(p)) : [];
  } catch {
    return [];
  }
}

const isBuiltIn = (role: string): role is keyof typeof BUILT_IN_ROLES => Object.hasOwn(BUILT_IN_ROLES, role);

/**
 * A principal's effective permissions from its row and every role link reachable from it
 * (principalRepo.roleEdges). A role's own set is computed like a principal's: its roles, plus
 * its enabled, minus its disabled. A role met again while resolving itself adds nothing, so a
 * cycle is harmless. An individual holding no role gets the built-in `user` role, as in Stalwart.
 */
export function resolvePermissions(row: Pick<PrincipalRow, 'id' | 'type' | 'enabled_permissions' | 'disabled_permissions'>, edges: RoleEdge[]): ReadonlySet<Permission> {
  const rolesOf = new Map<string, string[]>();
  const lists = new Map<string, { enabled: string | null; disabled: string | null }>();
  for (const e of edges) {
    rolesOf.set(e.holder, [...(rolesOf.get(e.holder) ?? []), e.role]);
    lists.set(e.role, { enabled: e.enabled, disabled: e.disabled });
  }
  const memo = new Map<string, ReadonlySet<Permission>>();
  const resolving = new Set<string>();
  const roleSet = (role: string): ReadonlySet<Permission> => {
    if (isBuiltIn(role)) return new Set(BUILT_IN_ROLES[role]);
    const known = memo.get(role);
    if (known) return known;
    const own = lists.get(role);
    // A dangling id (its role was deleted by another node meanwhile) grants nothing.
    if (!own || own.enabled === null || resolving.has(role)) return new Set();
    resolving.add(role);
    const set = effectivePermissions((rolesOf.get(role) ?? []).map((r) => [...roleSet(r)]), permissionList(own.enabled), permissionList(own.disabled));
    resolving.delete(role);
    memo.set(role, set);
    return set;
  };
  let direct = rolesOf.get(row.id) ?? [];
  if (direct.length === 0 && row.type === 'individual') direct = ['user'];
  return effectivePermissions(direct.map((r) => [...roleSet(r)]), permissionList(row.enabled_permissions), permissionList(row.disabled_permissions));
}

/**
 * Which of these principals may receive mail (`email-receive`): delivery asks before accepting
 * a recipient, and a group or list skips members without it. Two indexed reads per principal;
 * a message rarely has more than a few.
 */
export async function receivingPrincipals(db: Db, principalIds: readonly string[]): Promise<Set<string>> {
  const ids = [...new Set(principalIds)];
  const checked = await Promise.all(
    ids.map(async (id) => {
      const [row, edges] = await Promise.all([directoryRepo.principalById(db, id), principalRepo.roleEdges(db, id)]);
      return row && resolvePermissions(row, edges).has('email-receive') ? id : null;
    }),
  );
  return new Set(checked.filter((id): id is string => id !== null));
}
