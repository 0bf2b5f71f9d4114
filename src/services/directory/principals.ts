import { createHash } from 'node:crypto';
import type { WriteContext } from '../../store/changes.ts';
import type { Trx } from '../../store/changes.ts';
import type { PrincipalRow } from '../../store/db/schema.ts';
import { directoryRepo as repo } from '../../store/repos/directory.ts';
import { keySecretRepo, principalRepo } from '../../store/repos/principals.ts';
import type { Store } from '../../store/store.ts';
import { newId, type IdPrefix } from '../../util/ids.ts';
import { BUILT_IN_ROLES, isPermission, type Permission } from '../auth/permissions.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import { decodeCursor, encodeCursor, isString, pageLimit, type Page, type PageRequest } from '../paging.ts';
import { isUniqueViolation, type DirectoryService } from './directory.ts';
import { checkDisplayName, checkPassword, normalizeDomain, normalizeUsername, parseAddress } from './names.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { applyOps, opsOfObject, stateOf, type PatchOp, type PrincipalState } from './principal-patch.ts';
import { isPrincipalType, principalView, PRINCIPAL_TYPES, type PrincipalType, type PrincipalView } from './principal-views.ts';
import { resolvePermissions } from './roles.ts';
import type { Caller } from '../auth/tokens.ts';

/**
 * Who is asking: the tenant it is confined to (null: every tenant) and what it may do (null: the
 * admin token, which may do everything).
 */
export interface Actor {
  tenantId: string | null;
  permissions: ReadonlySet<Permission> | null;
}

export const ADMIN_ACTOR: Actor = { tenantId: null, permissions: null };

type Op = 'list' | 'get' | 'create' | 'update' | 'delete';

/** The type-specific permission family, as the catalog names it (`mailing-list-create`, `api-key-get`…). */
const FAMILY: Record<PrincipalType, string> = {
  individual: 'individual',
  group: 'group',
  list: 'mailing-list',
  domain: 'domain',
  role: 'role',
  apiKey: 'api-key',
  tenant: 'tenant',
};

const PREFIX: Record<Exclude<PrincipalType, 'individual' | 'domain'>, IdPrefix> = { group: 'g', list: 'l', role: 'o', apiKey: 'i', tenant: 'n' };

/** What each link field may point at. */
const MEMBER_TYPES: Partial<Record<PrincipalType, readonly string[]>> = {
  group: ['individual', 'group', 'list'],
  list: ['individual', 'group', 'list'],
  role: ['individual', 'apiKey', 'role'],
};
const HAS_EMAILS: readonly PrincipalType[] = ['individual', 'group', 'list'];
const HOLDS_ROLES: readonly PrincipalType[] = ['individual', 'apiKey', 'role', 'tenant'];
const JOINS_GROUPS: readonly PrincipalType[] = ['individual', 'group', 'list'];

/** apiKey secrets are looked up by hash on every request, so they must carry enough entropy for a fast hash (ADR 0026). */
export const MIN_KEY_SECRET = 32;
export const keySecretHash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface CreatePrincipalInput extends Partial<Omit<PrincipalView, 'id' | 'type' | 'createdAt' | 'updatedAt'>> {
  type: string;
  name: string;
  secrets?: string[];
}

/**
 * Principals of every type (ADR 0026): individuals (the users of /api/v1/users, created through
 * the same DirectoryService path), groups and lists (resolved at delivery), domains (the domains
 * table), roles (permission sets), apiKeys (HTTP credentials with their own permissions) and
 * tenants (bounding the principals, domains and quota under them). Authorization is decided
 * here: each operation needs `principal-<op>` or the type's own permission, a tenant's actor sees
 * only its tenant, and nobody grants a permission they do not hold.
 */
export class PrincipalService {
  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    private readonly defaultQuota: number,
  ) {}

  private get db() {
    return this.store.db;
  }

  /** A page by cursor; `offset` serves the Stalwart face's numbered pages. */
  async list(actor: Actor, req: PageRequest & { types?: string[]; query?: string; offset?: number }): Promise<Page<PrincipalView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    for (const [i, t] of (req.types ?? []).entries()) if (!isPrincipalType(t)) throw invalid(`types/${i}`, `must be one of ${PRINCIPAL_TYPES.join(', ')}`);
    // Without the general permission, a listing covers the types the actor may list.
    const types = (req.types && req.types.length > 0 ? req.types : [...PRINCIPAL_TYPES]) as PrincipalType[];
    const visible = allowed(actor, 'list') ? req.types : types.filter((t) => allowed(actor, 'list', t));
    if (visible && visible.length === 0) throw forbidden('list', types[0]);
    const filter = { types: visible, tenantId: actor.tenantId ?? undefined, query: req.query };
    const [rows, total] = await Promise.all([principalRepo.list(this.db, filter, { after, offset: req.offset, limit: limit + 1 }), principalRepo.count(this.db, filter)]);
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    return { total, results: await this.views(kept), next: more ? encodeCursor(kept[kept.length - 1].username) : null };
  }

  async get(actor: Actor, ref: string): Promise<PrincipalView> {
    const row = await this.row(actor, ref, 'get');
    return (await this.views([row]))[0];
  }

  async create(actor: Actor, input: CreatePrincipalInput): Promise<PrincipalView> {
    if (!isPrincipalType(input.type)) throw invalid('type', `must be one of ${PRINCIPAL_TYPES.join(', ')}`);
    const type = input.type;
    if (!allowed(actor, 'create', type)) throw forbidden('create', type);
    if (actor.tenantId && type === 'tenant') throw new ServiceError('forbidden', 'a tenant administrator cannot create tenants');
    const { type: _type, ...fields } = input;
    const empty: PrincipalState = { ...stateOf(blankView(type)), quota: type === 'individual' ? this.defaultQuota : 0 };
    const state = applyOps(empty, opsOfObject(fields as Record<string, unknown>));
    if (actor.tenantId) {
      if (state.tenant && (await this.tenantRef(this.db, state.tenant)) !== actor.tenantId) throw new ServiceError('forbidden', 'a tenant administrator creates principals only in its own tenant');
      state.tenant = actor.tenantId;
    }
    const name = normalizeName(type, state.name);
    let id: string;
    if (type === 'individual') {
      // createUser's default address is in the first domain, which need not be the tenant's.
      if (state.tenant && state.emails.length === 0) throw invalid('emails', "a principal of a tenant needs an address in one of the tenant's domains");
      if (state.secrets.length !== 1) throw invalid('secrets', 'an individual is created with exactly one password');
      // The password is hashed by createUser; the write below must not hash it again.
      const [password] = state.secrets;
      const written = { ...state, secrets: [], secretsReplace: false };
      const user = await this.directory.createUser(
        { username: name, password, name: state.description ?? undefined, address: state.emails[0], quota: state.quota },
        (w, row) => this.write(w, actor, row, { ...empty, name, emails: state.emails.slice(0, 1), quota: state.quota }, written),
      );
      id = user.id;
    } else if (type === 'domain') {
      id = (await this.directory.createDomain({ name }, (w, row) => this.write(w, actor, row, { ...empty, name }, state))).id;
    } else {
      const now = Date.now();
      const row: PrincipalRow = { id: newId(PREFIX[type]), type, username: name, password_hash: null, name: null, quota: 0, disabled: 0, created_at: now, updated_at: now };
      try {
        await this.store.write(async (w) => {
          await repo.insertPrincipal(w.trx, row);
          await this.write(w, actor, row, { ...empty, name }, state);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`a principal named ${name} already exists`);
        throw err;
      }
      id = row.id;
    }
    return this.get(ADMIN_ACTOR, id);
  }

  async update(actor: Actor, ref: string, ops: PatchOp[]): Promise<PrincipalView> {
    const row = await this.row(actor, ref, 'update');
    if (actor.tenantId && row.type === 'tenant') throw new ServiceError('forbidden', 'a tenant administrator cannot change tenants');
    const before = stateOf((await this.views([row]))[0]);
    const after = applyOps(before, ops);
    if (actor.tenantId && after.tenant !== before.tenant) throw new ServiceError('forbidden', 'a tenant administrator cannot move principals between tenants');
    try {
      await this.store.write((w) => this.write(w, actor, row, before, after));
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a principal named ${after.name} already exists`);
      throw err;
    }
    return this.get(ADMIN_ACTOR, row.id);
  }

  async delete(actor: Actor, ref: string): Promise<void> {
    const row = await this.row(actor, ref, 'delete');
    if (actor.tenantId && row.type === 'tenant') throw new ServiceError('forbidden', 'a tenant administrator cannot delete tenants');
    if (row.type === 'individual') return this.directory.deleteUser(row.id);
    if (row.type === 'domain') return this.directory.deleteDomain(row.id);
    if (row.type === 'tenant' && (await principalRepo.tenantMemberCount(this.db, row.id)) > 0) throw conflict(`tenant ${row.username} still has principals; delete or move them first`);
    await this.store.write(async (w) => {
      if (row.type === 'role') await principalRepo.deleteRoleEverywhere(w.trx, row.id);
      await repo.deletePrincipal(w.trx, row.id);
    });
  }

  /** The principal a reference (id or name) names, if the actor may see it and may do `op` to its type. */
  private async row(actor: Actor, ref: string, op: Op): Promise<PrincipalRow> {
    const row = (await repo.principalById(this.db, ref)) ?? (await repo.principalByUsername(this.db, ref.trim().toLowerCase()));
    const visible = row && (!actor.tenantId || row.tenant_id === actor.tenantId || row.id === actor.tenantId);
    if (!row || !visible) {
      if (!allowed(actor, op) && !PRINCIPAL_TYPES.some((t) => allowed(actor, op, t))) throw forbidden(op);
      throw notFound(`principal ${ref}`);
    }
    if (!allowed(actor, op, row.type as PrincipalType)) throw forbidden(op, row.type as PrincipalType);
    return row;
  }

  private async views(rows: PrincipalRow[]): Promise<PrincipalView[]> {
    const ids = rows.map((r) => r.id);
    const ofType = (...types: string[]) => rows.filter((r) => types.includes(r.type)).map((r) => r.id);
    const tenantIds = [...new Set(rows.map((r) => r.tenant_id).filter((t): t is string => !!t))];
    const [addresses, roles, containers, members, holders, tenantMembers, tenants] = await Promise.all([
      repo.addressesOf(this.db, ids),
      principalRepo.rolesOf(this.db, ids),
      principalRepo.containersOf(this.db, ids),
      principalRepo.membersOf(this.db, ofType('group', 'list')),
      principalRepo.holdersOf(this.db, ofType('role')),
      principalRepo.ofTenants(this.db, ofType('tenant')),
      principalRepo.byIds(this.db, tenantIds),
    ]);
    const tenantNames = new Map(tenants.map((t) => [t.id, t.username]));
    return rows.map((r) => principalView(r, { addresses, roles, containers, members, holders, tenantMembers, tenantNames }));
  }

  /** A tenant reference (id or name) as the tenant's id. */
  private async tenantRef(db: Trx | typeof this.db, ref: string): Promise<string> {
    const [found] = (await principalRepo.byRefs(db, [ref.trim().toLowerCase(), ref.trim()])).filter((r) => r.type === 'tenant');
    if (!found) throw invalid('tenant', `${ref} is not a tenant`);
    return found.id;
  }

  /**
   * Stores the difference between two states of a principal, inside the caller's transaction, and
   * checks the result: tenant bounds, tenant quota, and that the actor holds every permission
   * the principal now has.
   */
  private async write(w: WriteContext, actor: Actor, row: PrincipalRow, before: PrincipalState, after: PrincipalState): Promise<void> {
    const trx = w.trx;
    const type = row.type as PrincipalType;
    const patch: Partial<PrincipalRow> = {};
    const changed = (a: readonly string[], b: readonly string[]) => a.length !== b.length || a.some((x, i) => x !== b[i]);

    if (after.name !== before.name) {
      if (type === 'domain') throw invalid('name', 'a domain cannot be renamed');
      patch.username = normalizeName(type, after.name);
    }
    if (after.description !== before.description) patch.name = after.description === null ? null : checkDisplayName(after.description, 'description');
    if (after.quota !== before.quota) patch.quota = after.quota;
    if (after.disabled !== before.disabled) {
      patch.disabled = after.disabled ? 1 : 0;
      if (type === 'domain') await repo.updateDomain(trx, row.id, { disabled: patch.disabled });
    }
    let tenantId = row.tenant_id ?? null;
    if (after.tenant !== before.tenant) {
      if (type === 'tenant' && after.tenant) throw invalid('tenant', 'a tenant cannot belong to a tenant');
      tenantId = after.tenant ? await this.tenantRef(trx, after.tenant) : null;
      patch.tenant_id = tenantId;
    }
    for (const field of ['enabledPermissions', 'disabledPermissions'] as const) {
      if (!changed(after[field], before[field])) continue;
      after[field].forEach((p, i) => {
        if (!isPermission(p)) throw invalid(`${field}/${i}`, `${p} is not a permission`);
      });
      patch[field === 'enabledPermissions' ? 'enabled_permissions' : 'disabled_permissions'] = JSON.stringify([...new Set(after[field])]);
    }
    if (changed(after.externalMembers, before.externalMembers)) {
      if (type !== 'list' && after.externalMembers.length > 0) throw invalid('externalMembers', 'only a list has external members');
      patch.external_members = JSON.stringify([...new Set(after.externalMembers.map((a, i) => parseAddress(a, `externalMembers/${i}`).normalized))]);
    }
    if (changed(after.urls, before.urls)) {
      after.urls.forEach((u, i) => {
        if (u.length > 2048 || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(u)) throw invalid(`urls/${i}`, 'must be a URL');
      });
      patch.urls = JSON.stringify(after.urls);
    }
    if (Object.keys(patch).length > 0) await repo.updatePrincipal(trx, row.id, { ...patch, updated_at: Date.now() });

    const scope = actor.tenantId;
    await this.writeEmails(trx, row, type, tenantId, before.emails, after.emails);
    await this.writeSecrets(trx, row, type, after);
    if (changed(after.roles, before.roles)) {
      if (!HOLDS_ROLES.includes(type) && after.roles.length > 0) throw invalid('roles', `a ${type} holds no roles`);
      const next = await this.refs(trx, 'roles', after.roles, ['role'], scope, true);
      if (next.includes(row.id)) throw invalid('roles', 'a role cannot include itself');
      // The stored links, not the view: an individual's view shows the implicit `user` role.
      const prev = (await principalRepo.rolesOf(trx, [row.id])).map((l) => l.to);
      for (const r of prev) if (!next.includes(r)) await principalRepo.deleteRole(trx, row.id, r);
      for (const r of next) if (!prev.includes(r)) await principalRepo.insertRole(trx, row.id, r);
    }
    for (const field of ['memberOf', 'lists'] as const) {
      if (!changed(after[field], before[field])) continue;
      if (!JOINS_GROUPS.includes(type) && after[field].length > 0) throw invalid(field, `a ${type} cannot be a member`);
      const targetType = field === 'memberOf' ? 'group' : 'list';
      const next = await this.refs(trx, field, after[field], [targetType], scope);
      const prev = await this.refs(trx, field, before[field], [targetType], null);
      if (next.includes(row.id)) throw invalid(field, 'a principal cannot be a member of itself');
      for (const g of prev) if (!next.includes(g)) await principalRepo.deleteMember(trx, g, row.id);
      for (const g of next) if (!prev.includes(g)) await principalRepo.insertMember(trx, g, row.id);
    }
    if (changed(after.members, before.members)) {
      const types = MEMBER_TYPES[type];
      if (!types) throw invalid('members', type === 'tenant' ? "a tenant's members are the principals whose tenant is set to it" : `a ${type} has no members`);
      const next = await this.refs(trx, 'members', after.members, types, scope);
      const prev = await this.refs(trx, 'members', before.members, types, null);
      if (next.includes(row.id)) throw invalid('members', 'a principal cannot be a member of itself');
      for (const m of prev) if (!next.includes(m)) await (type === 'role' ? principalRepo.deleteRole(trx, m, row.id) : principalRepo.deleteMember(trx, row.id, m));
      for (const m of next) if (!prev.includes(m)) await (type === 'role' ? principalRepo.insertRole(trx, m, row.id) : principalRepo.insertMember(trx, row.id, m));
    }

    const stored = (await repo.principalById(trx, row.id))!;
    if (stored.tenant_id && type === 'individual') await this.checkTenantQuota(trx, stored);
    if (actor.permissions) {
      const held = actor.permissions;
      const granted = resolvePermissions(stored, await principalRepo.roleEdges(trx, stored.id));
      const excess = [...granted].filter((p) => !held.has(p));
      if (excess.length > 0) throw new ServiceError('forbidden', `you cannot grant permissions you do not hold: ${excess.slice(0, 5).join(', ')}${excess.length > 5 ? '…' : ''}`);
    }
  }

  /**
   * Ids of the principals the references name, each of one of `types`; with `builtIn`, the
   * built-in role names stand for themselves. A tenant's actor may link only its tenant's
   * principals (and roles of no tenant, which the permission check then bounds).
   */
  private async refs(trx: Trx, field: string, refs: string[], types: readonly string[], tenantId: string | null, builtIn = false): Promise<string[]> {
    const named = builtIn ? refs.filter((r) => !Object.hasOwn(BUILT_IN_ROLES, r.trim().toLowerCase())) : refs;
    const rows = await principalRepo.byRefs(trx, [...named.map((r) => r.trim().toLowerCase()), ...named.map((r) => r.trim())]);
    const out: string[] = [];
    refs.forEach((ref, i) => {
      const key = ref.trim().toLowerCase();
      if (builtIn && Object.hasOwn(BUILT_IN_ROLES, key)) return out.push(key);
      const found = rows.find((r) => r.id === ref.trim() || r.username === key);
      if (!found || (tenantId && found.tenant_id !== tenantId && !(found.type === 'role' && !found.tenant_id))) throw invalid(`${field}/${i}`, `${ref} is not a principal`);
      if (!types.includes(found.type)) throw invalid(`${field}/${i}`, `${ref} is a ${found.type}, not a ${types.join(' or ')}`);
      out.push(found.id);
    });
    return [...new Set(out)];
  }

  private async writeEmails(trx: Trx, row: PrincipalRow, type: PrincipalType, tenantId: string | null, before: string[], after: string[]): Promise<void> {
    const norm = (list: string[], check: boolean) => list.map((a, i) => (check ? parseAddress(a, `emails/${i}`, type === 'individual') : { normalized: a.toLowerCase(), local: '', domain: a.slice(a.lastIndexOf('@') + 1) }));
    const next = norm(after, true);
    const prev = norm(before, false);
    if (next.length > 0 && !HAS_EMAILS.includes(type)) throw invalid('emails', `a ${type} has no addresses`);
    const nextKeys = next.map((a) => a.normalized);
    const prevKeys = prev.map((a) => a.normalized);
    for (const a of prevKeys) if (!nextKeys.includes(a)) await repo.deleteAddress(trx, a);
    for (const [i, a] of next.entries()) {
      const known = prevKeys.includes(a.normalized);
      // Addresses kept are checked too: a principal moved into a tenant keeps only the tenant's domains.
      if (known && !tenantId) continue;
      const domain = await repo.domainByName(trx, a.domain);
      if (!domain) throw invalid(`emails/${i}`, `${a.domain} is not a domain of this server`);
      const owner = tenantId ? await repo.principalById(trx, domain.id) : undefined;
      if (tenantId && owner?.tenant_id !== tenantId) throw invalid(`emails/${i}`, `${a.domain} is not a domain of this principal's tenant`);
      if (known) continue;
      const taken = await repo.address(trx, a.normalized);
      if (taken) throw conflict(`address ${a.normalized} is already taken`);
      await repo.insertAddress(trx, { address: a.normalized, display: after[i].trim(), principal_id: row.id, domain_id: domain.id, is_main: 0, created_at: Date.now() });
    }
    if (nextKeys.length > 0 && (nextKeys[0] !== prevKeys[0] || prevKeys.some((k) => !nextKeys.includes(k)))) await repo.setMainAddress(trx, row.id, nextKeys[0]);
  }

  /**
   * An individual's secret is its password (argon2id, as /api/v1/users stores it); an apiKey's
   * secrets are bearer credentials, stored as sha256 in `tokens` so a request finds its key by
   * hash (ADR 0026). No other type has secrets.
   */
  private async writeSecrets(trx: Trx, row: PrincipalRow, type: PrincipalType, s: PrincipalState): Promise<void> {
    if (s.secrets.length === 0 && s.secretsRemove.length === 0 && !s.secretsReplace) return;
    if (type !== 'individual' && type !== 'apiKey') {
      // The seed's create example sends `secrets: []` for every type: an empty list is no secret.
      if (s.secrets.length > 0) throw invalid('secrets', `a ${type} has no secrets`);
      return;
    }
    if (type === 'individual') {
      if (s.secrets.length > 1) throw invalid('secrets', 'an individual has one password; app passwords have their own routes');
      if (s.secrets.length === 1) {
        checkPassword(s.secrets[0], 'secrets/0');
        await repo.updatePrincipal(trx, row.id, { password_hash: await hashPassword(s.secrets[0]), updated_at: Date.now() });
      } else if (s.secretsReplace || (s.secretsRemove.length > 0 && (await anyVerifies(row.password_hash, s.secretsRemove)))) {
        await repo.updatePrincipal(trx, row.id, { password_hash: null, updated_at: Date.now() });
      }
      return;
    }
    if (s.secretsReplace) await keySecretRepo.deleteAll(trx, row.id);
    for (const secret of s.secretsRemove) await keySecretRepo.delete(trx, row.id, keySecretHash(secret));
    for (const [i, secret] of s.secrets.entries()) {
      if (secret.length < MIN_KEY_SECRET || secret.length > 512) throw invalid(`secrets/${i}`, `an API key secret has ${MIN_KEY_SECRET} to 512 characters`);
      await keySecretRepo.insert(trx, newId('k'), row.id, keySecretHash(secret));
    }
  }

  /** A tenant's quota bounds the sum of its individuals' quotas, so none of them may be unlimited. */
  private async checkTenantQuota(trx: Trx, row: PrincipalRow): Promise<void> {
    await principalRepo.lockTenant(trx, this.store.dialect, row.tenant_id!);
    const tenant = await repo.principalById(trx, row.tenant_id!);
    if (!tenant || tenant.quota === 0) return;
    if (row.quota === 0) throw new ServiceError('overQuota', `tenant ${tenant.username} has a quota of ${tenant.quota} bytes: give ${row.username} a quota within it`);
    const others = await principalRepo.tenantQuotaUsed(trx, tenant.id, row.id);
    if (others + row.quota > tenant.quota) {
      throw new ServiceError('overQuota', `tenant ${tenant.username} has ${Math.max(0, tenant.quota - others)} of its ${tenant.quota} bytes of quota left; ${row.username} asks for ${row.quota}`);
    }
  }
}

async function anyVerifies(hash: string | null, secrets: string[]): Promise<boolean> {
  for (const s of secrets) if (await verifyPassword(hash, s)) return true;
  return false;
}

function normalizeName(type: PrincipalType, name: string): string {
  return type === 'domain' ? normalizeDomain(name) : normalizeUsername(name, 'name');
}

export function allowed(actor: Actor, op: Op, type?: PrincipalType): boolean {
  if (!actor.permissions) return true;
  if (actor.permissions.has(`principal-${op}` as Permission)) return true;
  return type !== undefined && actor.permissions.has(`${FAMILY[type]}-${op}` as Permission);
}

function forbidden(op: Op, type?: PrincipalType): ServiceError {
  return new ServiceError('forbidden', `this needs the principal-${op} permission${type ? ` or ${FAMILY[type]}-${op}` : ''}`);
}

function blankView(type: PrincipalType): PrincipalView {
  return {
    id: '',
    type,
    name: '',
    description: null,
    quota: 0,
    emails: [],
    urls: [],
    memberOf: [],
    roles: [],
    lists: [],
    members: [],
    enabledPermissions: [],
    disabledPermissions: [],
    externalMembers: [],
    tenant: null,
    disabled: false,
    createdAt: '',
    updatedAt: '',
  };
}

/** The actor behind an authenticated caller: the admin token is unbounded; a principal is bounded by its tenant and permissions. */
export function actorOf(caller: Caller): Actor {
  if (caller.kind === 'admin') return ADMIN_ACTOR;
  if (caller.kind === 'key') return { tenantId: caller.tenantId, permissions: caller.permissions };
  return { tenantId: caller.principal.tenantId ?? null, permissions: caller.principal.permissions };
}
