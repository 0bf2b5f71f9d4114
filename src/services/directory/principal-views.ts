import type { AddressRow, PrincipalRow } from '../../store/db/schema.ts';
import type { Link } from '../../store/repos/principals.ts';
import { permissionList } from './roles.ts';
import { iso } from './views.ts';

export const PRINCIPAL_TYPES = ['individual', 'group', 'list', 'domain', 'role', 'apiKey', 'tenant'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
export const isPrincipalType = (t: string): t is PrincipalType => (PRINCIPAL_TYPES as readonly string[]).includes(t);

/** The list-valued fields, in the order the Stalwart seed lists them. */
export const LIST_FIELDS = ['emails', 'secrets', 'urls', 'memberOf', 'roles', 'lists', 'members', 'enabledPermissions', 'disabledPermissions', 'externalMembers'] as const;
export type ListField = (typeof LIST_FIELDS)[number];

/**
 * A principal as both APIs show it. Links to other principals are by name (as Stalwart shows
 * them); `secrets` are write-only and never appear.
 */
export interface PrincipalView {
  id: string;
  type: PrincipalType;
  name: string;
  description: string | null;
  /** Bytes (0 = unlimited): an individual's mailbox limit, a tenant's total over its individuals. */
  quota: number;
  emails: string[];
  urls: string[];
  memberOf: string[];
  roles: string[];
  lists: string[];
  members: string[];
  enabledPermissions: string[];
  disabledPermissions: string[];
  externalMembers: string[];
  tenant: string | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a view is built from: the rows, and every link query's result for a batch of principals. */
export interface ViewSources {
  addresses: AddressRow[];
  roles: Link[];
  containers: Link[];
  members: Link[];
  holders: Link[];
  tenantMembers: PrincipalRow[];
  tenantNames: Map<string, string>;
}

const jsonList = (json: string | undefined): string[] => {
  try {
    const v: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

export function principalView(row: PrincipalRow, src: ViewSources): PrincipalView {
  const type = row.type as PrincipalType;
  const names = (links: Link[]) => links.map((l) => l.name ?? l.to);
  const containers = src.containers.filter((l) => l.from === row.id);
  // An individual holding no role has the built-in `user` role: shown, so adding a role keeps it.
  const roles = names(src.roles.filter((l) => l.from === row.id));
  let members: string[] = [];
  if (type === 'group' || type === 'list') members = names(src.members.filter((l) => l.from === row.id));
  else if (type === 'role') members = names(src.holders.filter((l) => l.from === row.id));
  else if (type === 'tenant') members = src.tenantMembers.filter((m) => m.tenant_id === row.id).map((m) => m.username);
  return {
    id: row.id,
    type,
    name: row.username,
    description: row.name,
    quota: row.quota,
    emails: src.addresses.filter((a) => a.principal_id === row.id).map((a) => a.display),
    urls: jsonList(row.urls),
    memberOf: names(containers.filter((l) => l.type === 'group')),
    roles: roles.length === 0 && type === 'individual' ? ['user'] : roles,
    lists: names(containers.filter((l) => l.type === 'list')),
    members,
    enabledPermissions: permissionList(row.enabled_permissions),
    disabledPermissions: permissionList(row.disabled_permissions),
    externalMembers: jsonList(row.external_members),
    tenant: row.tenant_id ? (src.tenantNames.get(row.tenant_id) ?? row.tenant_id) : null,
    disabled: row.disabled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
