import { newId } from '../../util/ids.ts';
import type { WriteContext } from '../../store/changes.ts';
import type { Store } from '../../store/store.ts';
import { directoryRepo as repo } from '../../store/repos/directory.ts';
import type { PrincipalRow } from '../../store/db/schema.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { decodeCursor, isString, pageLimit, pageOf, type Page, type PageRequest } from '../paging.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import { checkDisplayName, checkPassword, normalizeDomain, normalizeUsername, parseAddress } from './names.ts';
import { burnVerify, hashPassword, verifyPassword } from './passwords.ts';
import { principalRepo } from '../../store/repos/principals.ts';
import type { ApiKeyCaller } from '../auth/tokens.ts';
import { resolvePermissions } from './roles.ts';
import { poolAccount, principalWithPool, type PoolAccount, type Principal } from './pool.ts';
import { addressView, allowedSenderView, domainView, mappingView, userView, type AddressView, type AllowedSenderView, type DomainView, type MappingView, type UserView } from './views.ts';

export interface CreateUserInput {
  username: string;
  password: string;
  name?: string;
  address?: string;
  quota?: number;
}

export interface UpdateUserInput {
  password?: string;
  name?: string | null;
  quota?: number;
  disabled?: boolean;
}

export interface UpdateDomainInput {
  catchAll?: string | null;
  disabled?: boolean;
  aliases?: string[];
}

export type { AccountKind, PoolAccount, Principal } from './pool.ts';

const isQuota = (q: number | undefined, field = 'quota') => {
  if (q !== undefined && (!Number.isSafeInteger(q) || q < 0)) throw invalid(field, 'must be a whole number of bytes, 0 for unlimited');
};

/** Domains, users, addresses and mappings: who exists and who an address reaches. */
export class DirectoryService {
  constructor(
    private readonly store: Store,
    private readonly mailboxes: MailboxService,
    private readonly defaultQuota: number,
  ) {}

  private get db() {
    return this.store.db;
  }

  // ---- domains

  /**
   * A domain is also a principal of type `domain` with the same id (ADR 0026), so tenants can own
   * it; `extend` writes more of that principal in the same transaction.
   */
  async createDomain(input: { name: string }, extend?: (w: WriteContext, principal: PrincipalRow) => Promise<void>): Promise<DomainView> {
    const name = normalizeDomain(input.name);
    if ((await repo.domainByName(this.db, name)) || (await repo.domainAliasTarget(this.db, name))) throw conflict(`domain ${name} already exists`);
    const row = { id: newId('d'), name, catch_all: null, disabled: 0, created_at: Date.now() };
    const principal: PrincipalRow = { id: row.id, type: 'domain', username: name, password_hash: null, name: null, quota: 0, disabled: 0, created_at: row.created_at, updated_at: row.created_at };
    try {
      await this.store.write(async (w) => {
        await repo.insertDomain(w.trx, row);
        await repo.insertPrincipal(w.trx, principal);
        await extend?.(w, principal);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`${name} is already the name of a domain or another principal`);
      throw err;
    }
    return domainView(row, []);
  }

  private async domainRow(ref: string) {
    const row = ref.startsWith('d') && ref.length === 24 ? await repo.domainById(this.db, ref) : undefined;
    const found = row ?? (await repo.domainByName(this.db, ref.toLowerCase()));
    if (!found) throw notFound(`domain ${ref}`);
    return found;
  }

  async getDomain(ref: string): Promise<DomainView> {
    const row = await this.domainRow(ref);
    const aliases = await repo.domainAliases(this.db, [row.id]);
    return domainView(row, aliases.map((a) => a.alias));
  }

  async listDomains(req: PageRequest & { query?: string }): Promise<Page<DomainView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    const [rows, total] = await Promise.all([
      repo.listDomains(this.db, { after, limit: limit + 1, query: req.query }),
      repo.countDomains(this.db, req.query),
    ]);
    const aliases = await repo.domainAliases(this.db, rows.map((r) => r.id));
    return pageOf(rows, limit, total, (r) => domainView(r, aliases.filter((a) => a.domain_id === r.id).map((a) => a.alias)), (r) => r.name);
  }

  async updateDomain(ref: string, input: UpdateDomainInput): Promise<DomainView> {
    const row = await this.domainRow(ref);
    const patch: { catch_all?: string | null; disabled?: number } = {};
    if (input.catchAll !== undefined) {
      if (input.catchAll === null || input.catchAll === '') patch.catch_all = null;
      else {
        const target = parseAddress(input.catchAll, 'catchAll');
        if (target.domain !== row.name) throw invalid('catchAll', `must be an address in ${row.name}`);
        if (!(await repo.address(this.db, target.normalized))) throw invalid('catchAll', `${target.normalized} is not an existing address`);
        patch.catch_all = target.normalized;
      }
    }
    if (input.disabled !== undefined) patch.disabled = input.disabled ? 1 : 0;
    const aliases = input.aliases?.map((a, i) => normalizeDomain(a, `aliases/${i}`));
    if (aliases) {
      for (const alias of aliases) {
        if (alias === row.name) throw invalid('aliases', 'a domain cannot alias itself');
        const other = (await repo.domainByName(this.db, alias)) ?? (await repo.domainAliasTarget(this.db, alias));
        if (other && other.id !== row.id) throw conflict(`${alias} is already a domain or an alias of another domain`);
      }
    }
    await this.store.write(async (w) => {
      if (Object.keys(patch).length > 0) await repo.updateDomain(w.trx, row.id, patch);
      // The domain's principal (ADR 0026) shows the same flag.
      if (patch.disabled !== undefined) await repo.updatePrincipal(w.trx, row.id, { disabled: patch.disabled, updated_at: Date.now() });
      if (aliases) {
        const existing = (await repo.domainAliases(w.trx, [row.id])).map((a) => a.alias);
        for (const alias of existing) if (!aliases.includes(alias)) await repo.deleteDomainAlias(w.trx, alias);
        for (const alias of new Set(aliases)) if (!existing.includes(alias)) await repo.insertDomainAlias(w.trx, alias, row.id);
      }
    });
    return this.getDomain(row.id);
  }

  async deleteDomain(ref: string): Promise<void> {
    const row = await this.domainRow(ref);
    const used = await repo.addressCountInDomain(this.db, row.id);
    if (used > 0) throw conflict(`domain ${row.name} still has ${used} address(es); remove them or their users first`);
    await this.store.write(async (w) => {
      await repo.deleteDomain(w.trx, row.id);
      await repo.deletePrincipal(w.trx, row.id);
    });
  }

  // ---- users

  /** `extend` writes more of the new principal (roles, groups, tenant…) in the same transaction. */
  async createUser(input: CreateUserInput, extend?: (w: WriteContext, principal: PrincipalRow) => Promise<void>): Promise<UserView> {
    const username = normalizeUsername(input.username);
    checkPassword(input.password);
    isQuota(input.quota);
    const name = input.name === undefined ? null : checkDisplayName(input.name);
    let addressInput = input.address;
    if (addressInput === undefined) {
      if (username.includes('@')) addressInput = username;
      else {
        const first = (await repo.listDomains(this.db, { limit: 1 }))[0];
        if (!first) throw invalid('address', 'no domain exists yet: create one first or give an address');
        addressInput = `${username}@${first.name}`;
      }
    }
    const address = parseAddress(addressInput, 'address');
    const domain = await repo.domainByName(this.db, address.domain);
    if (!domain) throw invalid('address', `${address.domain} is not a domain of this server`);
    if (await repo.principalByUsername(this.db, username)) throw conflict(`user ${username} already exists`);
    if (await repo.address(this.db, address.normalized)) throw conflict(`address ${address.normalized} is already taken`);
    const passwordHash = await hashPassword(input.password);
    const now = Date.now();
    const principal: PrincipalRow = {
      id: newId('u'),
      type: 'individual',
      username,
      password_hash: passwordHash,
      name,
      quota: input.quota ?? this.defaultQuota,
      disabled: 0,
      created_at: now,
      updated_at: now,
    };
    const accountId = newId('a');
    const addressRow = { address: address.normalized, display: `${address.local}@${address.domain}`, principal_id: principal.id, domain_id: domain.id, is_main: 1, created_at: now };
    try {
      await this.store.write(async (w) => {
        await repo.insertPrincipal(w.trx, principal);
        await repo.insertAccount(w.trx, { id: accountId, principal_id: principal.id, kind: 'local', name: username, is_primary: 1, created_at: now });
        await repo.insertAddress(w.trx, addressRow);
        await this.mailboxes.createDefaults(w, accountId);
        await extend?.(w, principal);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`user ${username} or address ${address.normalized} already exists`);
      throw err;
    }
    return userView(principal, [addressRow], 0);
  }

  /**
   * A user with no address here, whose primary account mirrors a mailbox elsewhere (the JMAP
   * proxy's accounts). `addPrimary` writes that account in the same transaction, so a failed
   * setup leaves no half-made user behind.
   */
  async createMirrorUser(input: { username: string; password: string }, addPrimary: (w: WriteContext, principalId: string) => Promise<void>): Promise<UserView> {
    const username = normalizeUsername(input.username);
    checkPassword(input.password);
    if (await repo.principalByUsername(this.db, username)) throw conflict(`user ${username} already exists`);
    const now = Date.now();
    const principal: PrincipalRow = { id: newId('u'), type: 'individual', username, password_hash: await hashPassword(input.password), name: null, quota: 0, disabled: 0, created_at: now, updated_at: now };
    try {
      await this.store.write(async (w) => {
        await repo.insertPrincipal(w.trx, principal);
        await addPrimary(w, principal.id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`user ${username} already exists`);
      throw err;
    }
    return userView(principal, [], 0);
  }

  private async userRow(ref: string): Promise<PrincipalRow> {
    const row = (await repo.principalById(this.db, ref)) ?? (await repo.principalByUsername(this.db, ref.toLowerCase()));
    if (!row || row.type !== 'individual') throw notFound(`user ${ref}`);
    return row;
  }

  async getUser(ref: string): Promise<UserView> {
    const row = await this.userRow(ref);
    const [addresses, account] = await Promise.all([repo.addressesOf(this.db, [row.id]), repo.accountOf(this.db, row.id)]);
    return userView(row, addresses, account?.used_bytes ?? 0);
  }

  async listUsers(req: PageRequest & { query?: string }): Promise<Page<UserView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    const [rows, total] = await Promise.all([
      repo.listPrincipals(this.db, { type: 'individual', after, limit: limit + 1, query: req.query }),
      repo.countPrincipals(this.db, 'individual', req.query),
    ]);
    const ids = rows.map((r) => r.id);
    const [addresses, accounts] = await Promise.all([repo.addressesOf(this.db, ids), repo.primaryAccountsOf(this.db, ids)]);
    return pageOf(
      rows,
      limit,
      total,
      (r) => userView(r, addresses.filter((a) => a.principal_id === r.id), accounts.find((a) => a.principal_id === r.id)?.used_bytes ?? 0),
      (r) => r.username,
    );
  }

  async updateUser(ref: string, input: UpdateUserInput): Promise<UserView> {
    const row = await this.userRow(ref);
    const patch: Partial<PrincipalRow> = { updated_at: Date.now() };
    if (input.password !== undefined) {
      checkPassword(input.password);
      patch.password_hash = await hashPassword(input.password);
    }
    if (input.name !== undefined) patch.name = input.name === null ? null : checkDisplayName(input.name);
    if (input.quota !== undefined) {
      isQuota(input.quota);
      patch.quota = input.quota;
    }
    if (input.disabled !== undefined) patch.disabled = input.disabled ? 1 : 0;
    await this.store.write(async (w) => repo.updatePrincipal(w.trx, row.id, patch));
    return this.getUser(row.id);
  }

  async deleteUser(ref: string): Promise<void> {
    const row = await this.userRow(ref);
    // Rows cascade with the principal; purging first releases blob references and quota usage.
    for (const account of await repo.poolOf(this.db, row.id)) await this.mailboxes.purgeAccount(account.id);
    await this.store.write(async (w) => repo.deletePrincipal(w.trx, row.id));
  }

  // ---- the account pool

  /** Adds a local account to a user's pool, with the default mailboxes. */
  async addAccount(userRef: string, input: { name: string }): Promise<PoolAccount> {
    const row = await this.userRow(userRef);
    const name = checkDisplayName(input.name);
    if (name.length === 0) throw invalid('name', 'must not be empty');
    const account = { id: newId('a'), principal_id: row.id, kind: 'local', name, is_primary: 0, created_at: Date.now() };
    await this.store.write(async (w) => {
      await repo.insertAccount(w.trx, account);
      await this.mailboxes.createDefaults(w, account.id);
    });
    return poolAccount(account);
  }

  /** Removes an account other than the primary from a user's pool, with all its mail. */
  async removeAccount(userRef: string, accountId: string): Promise<void> {
    const row = await this.userRow(userRef);
    const account = (await repo.poolOf(this.db, row.id)).find((a) => a.id === accountId);
    if (!account) throw notFound(`account ${accountId}`);
    if (account.is_primary === 1) throw conflict('the primary account goes only with its user');
    await this.mailboxes.purgeAccount(account.id);
    await this.store.write(async (w) => repo.deleteAccount(w.trx, account.id));
  }

  /** Bytes stored in an account and its owner's limit (0 = unlimited), which applies to each account. */
  async accountQuota(accountId: string): Promise<{ used: number; limit: number }> {
    const quota = await repo.accountQuota(this.db, accountId);
    if (!quota) throw notFound(`account ${accountId}`);
    return quota;
  }

  // ---- addresses

  async listAddresses(userRef: string): Promise<AddressView[]> {
    const row = await this.userRow(userRef);
    return (await repo.addressesOf(this.db, [row.id])).map(addressView);
  }

  async addAddress(userRef: string, input: { address: string; main?: boolean }): Promise<AddressView> {
    const row = await this.userRow(userRef);
    const address = parseAddress(input.address, 'address', true);
    const domain = await repo.domainByName(this.db, address.domain);
    if (!domain) throw invalid('address', `${address.domain} is not a domain of this server`);
    if (await repo.address(this.db, address.normalized)) throw conflict(`address ${address.normalized} is already taken`);
    const addr = { address: address.normalized, display: `${address.local}@${address.domain}`, principal_id: row.id, domain_id: domain.id, is_main: 0, created_at: Date.now() };
    await this.store.write(async (w) => {
      await repo.insertAddress(w.trx, addr);
      if (input.main && address.local !== '*') await repo.setMainAddress(w.trx, row.id, addr.address);
    });
    return addressView((await repo.address(this.db, addr.address))!);
  }

  async removeAddress(userRef: string, address: string): Promise<void> {
    const row = await this.userRow(userRef);
    const normalized = address.trim().toLowerCase();
    const existing = await repo.address(this.db, normalized);
    if (!existing || existing.principal_id !== row.id) throw notFound(`address ${address}`);
    const all = await repo.addressesOf(this.db, [row.id]);
    if (existing.is_main === 1 && all.length > 1) throw conflict('this is the main address: make another address main first');
    if (all.length === 1) throw conflict('a user keeps at least one address');
    await this.store.write(async (w) => repo.deleteAddress(w.trx, normalized));
  }

  // ---- allowed senders (addresses a user may send as without owning them)

  async listAllowedSenders(userRef: string): Promise<AllowedSenderView[]> {
    const row = await this.userRow(userRef);
    return (await repo.allowedSendersOf(this.db, row.id)).map(allowedSenderView);
  }

  /**
   * Allows the user to send as `address` (exact, or `*@domain` for a whole domain), which need
   * not be a domain of this server. `created` is false when it was already allowed.
   */
  async allowSender(userRef: string, address: string): Promise<{ sender: AllowedSenderView; created: boolean }> {
    const row = await this.userRow(userRef);
    const parsed = parseAddress(address, 'address', true);
    const sender = { principal_id: row.id, address: parsed.normalized, created_at: Date.now() };
    const created = await this.store.write(async (w) => repo.insertAllowedSender(w.trx, sender));
    const stored = (await repo.allowedSendersOf(this.db, row.id)).find((r) => r.address === sender.address) ?? sender;
    return { sender: allowedSenderView(stored), created };
  }

  async disallowSender(userRef: string, address: string): Promise<void> {
    const row = await this.userRow(userRef);
    const normalized = address.trim().toLowerCase();
    const removed = await this.store.write(async (w) => repo.deleteAllowedSender(w.trx, row.id, normalized));
    if (!removed) throw notFound(`allowed sender ${address}`);
  }

  async findAddresses(req: PageRequest & { query?: string }): Promise<Page<AddressView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    const [rows, total] = await Promise.all([
      repo.searchAddresses(this.db, { query: req.query, after, limit: limit + 1 }),
      repo.countAddresses(this.db, req.query),
    ]);
    return pageOf(rows, limit, total, addressView, (r) => r.address);
  }

  // ---- mappings (aliases, forwards, groups)

  async addMapping(input: { source: string; kind: 'alias' | 'forward' | 'group'; target: string }): Promise<MappingView> {
    const source = parseAddress(input.source, 'source');
    const target = parseAddress(input.target, 'target');
    if (!(await repo.domainByName(this.db, source.domain))) throw invalid('source', `${source.domain} is not a domain of this server`);
    if (source.normalized === target.normalized) throw invalid('target', 'must differ from the source');
    const row = { id: newId('x'), source: source.normalized, kind: input.kind, target: target.normalized, created_at: Date.now() };
    try {
      await this.store.write(async (w) => repo.insertMapping(w.trx, row));
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('this mapping already exists');
      throw err;
    }
    return mappingView(row);
  }

  async listMappings(req: PageRequest & { source?: string }): Promise<Page<MappingView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    const source = req.source?.trim().toLowerCase();
    const [rows, total] = await Promise.all([repo.listMappings(this.db, { source, after, limit: limit + 1 }), repo.countMappings(this.db, source)]);
    return pageOf(rows, limit, total, mappingView, (r) => r.id);
  }

  async removeMapping(id: string): Promise<void> {
    if (!(await repo.mappingById(this.db, id))) throw notFound(`mapping ${id}`);
    await this.store.write(async (w) => repo.deleteMapping(w.trx, id));
  }

  // ---- authentication

  /** Login with the login name or any address; null when the credentials do not match an enabled user. */
  async authenticate(login: string, password: string): Promise<Principal | null> {
    const key = login.trim().toLowerCase();
    if (key.length === 0 || key.length > 320 || password.length > 1024) return null;
    const row = (await repo.principalByUsername(this.db, key)) ?? (key.includes('@') ? await repo.principalByAddress(this.db, key) : undefined);
    if (!row) return burnVerify(password).then(() => null);
    if (!(await verifyPassword(row.password_hash, password)) || row.disabled === 1) return null;
    return this.withPool(row);
  }

  /** Pool and role links in parallel: loading a principal costs three indexed queries, whatever its roles. */
  private async withPool(row: PrincipalRow): Promise<Principal | null> {
    const [pool, edges] = await Promise.all([repo.poolOf(this.db, row.id), principalRepo.roleEdges(this.db, row.id)]);
    return principalWithPool(row, pool, edges);
  }

  /** The principal behind an id (for token authentication), if it still exists and is enabled. */
  async principal(id: string): Promise<Principal | null> {
    const row = await repo.principalById(this.db, id);
    if (!row || row.disabled === 1) return null;
    return this.withPool(row);
  }

  /** The apiKey principal behind a key secret's token row, if it still exists and is enabled. */
  async apiKey(id: string): Promise<ApiKeyCaller | null> {
    const [row, edges] = await Promise.all([repo.principalById(this.db, id), principalRepo.roleEdges(this.db, id)]);
    if (!row || row.type !== 'apiKey' || row.disabled === 1) return null;
    return { kind: 'key', id: row.id, name: row.username, permissions: resolvePermissions(row, edges), tenantId: row.tenant_id ?? null };
  }

  /** A user reference (id or login name) as a principal with its pool, for admin routes. */
  async accountOfUser(ref: string): Promise<Principal> {
    const row = await this.userRow(ref);
    const principal = await this.withPool(row);
    if (!principal) throw notFound(`user ${ref}`);
    return principal;
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

