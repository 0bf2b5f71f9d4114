import type { AddressRow, AllowedSenderRow, DomainRow, MappingRow, PrincipalRow } from '../../store/db/schema.ts';

export interface DomainView {
  id: string;
  name: string;
  aliases: string[];
  catchAll: string | null;
  disabled: boolean;
  createdAt: string;
}

export interface AddressView {
  address: string;
  main: boolean;
  user: string;
  createdAt: string;
}

export interface UserView {
  id: string;
  username: string;
  name: string | null;
  address: string | null;
  addresses: AddressView[];
  quota: { limit: number; used: number };
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface MappingView {
  id: string;
  source: string;
  kind: 'alias' | 'forward' | 'group';
  target: string;
  createdAt: string;
}

export const iso = (ms: number) => new Date(ms).toISOString();

export function domainView(row: DomainRow, aliases: string[]): DomainView {
  return { id: row.id, name: row.name, aliases, catchAll: row.catch_all, disabled: row.disabled === 1, createdAt: iso(row.created_at) };
}

export function addressView(row: AddressRow): AddressView {
  return { address: row.display, main: row.is_main === 1, user: row.principal_id, createdAt: iso(row.created_at) };
}

/** An address an administrator allows a user to send as without owning it. */
export interface AllowedSenderView {
  address: string;
  user: string;
  createdAt: string;
}

export function allowedSenderView(row: AllowedSenderRow): AllowedSenderView {
  return { address: row.address, user: row.principal_id, createdAt: iso(row.created_at) };
}

export function userView(row: PrincipalRow, addresses: AddressRow[], used: number): UserView {
  const views = addresses.map(addressView);
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    address: views.find((a) => a.main)?.address ?? views[0]?.address ?? null,
    addresses: views,
    quota: { limit: row.quota, used },
    disabled: row.disabled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function mappingView(row: MappingRow): MappingView {
  return { id: row.id, source: row.source, kind: row.kind, target: row.target, createdAt: iso(row.created_at) };
}
