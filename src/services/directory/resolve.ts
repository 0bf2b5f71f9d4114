import type { Db } from '../../store/db/connect.ts';
import type { PrincipalRow } from '../../store/db/schema.ts';
import { directoryRepo as repo } from '../../store/repos/directory.ts';
import { principalRepo } from '../../store/repos/principals.ts';
import { parseAddress } from './names.ts';

/** Where mail for one envelope recipient goes. */
export type Resolution =
  | {
      kind: 'local';
      address: string;
      accounts: { principalId: string; accountId: string }[];
      /** Remote addresses the mail also goes to: the external members of lists reached. */
      external?: string[];
      /** Set when the address is a mailing list's: delivery adds its list headers. */
      list?: ListInfo;
    }
  | { kind: 'unknown'; address: string }
  | { kind: 'remote'; address: string }
  | { kind: 'invalid'; address: string; reason: string };

/** A mailing list as its headers name it (RFC 2919, RFC 2369). */
export interface ListInfo {
  address: string;
  description: string | null;
}

/** What expanding an address collects: principals reached (id → the address that reached them), external members, the list. */
interface Reach {
  found: Map<string, string>;
  external: Set<string>;
  list?: ListInfo;
}

const MAX_DEPTH = 8;
const MAX_FANOUT = 1000;

/**
 * Address → accounts, following domain aliases, aliases, groups and internal forwards, then the
 * address itself (a group or list principal's address reaches its members), plus-addressing
 * (user+tag@), the `*@domain` wildcard and the domain catch-all.
 * Forwards to addresses outside this server wait for outbound sending; they are skipped here.
 */
export async function resolveRecipient(db: Db, input: string): Promise<Resolution> {
  let parsed;
  try {
    parsed = parseAddress(input, 'recipient');
  } catch (err) {
    return { kind: 'invalid', address: input, reason: (err as Error).message };
  }
  const reach: Reach = { found: new Map(), external: new Set() };
  const seen = new Set<string>();
  const local = await expand(db, parsed.normalized, 0, seen, reach);
  if (local === 'remote') return { kind: 'remote', address: parsed.normalized };
  if (reach.found.size === 0 && reach.external.size === 0) return { kind: 'unknown', address: parsed.normalized };
  // Mail to a principal lands in its primary account, never in the other accounts of its pool.
  const accounts = await repo.primaryAccountsOf(db, [...reach.found.keys()]);
  return {
    kind: 'local',
    address: parsed.normalized,
    accounts: accounts.map((a) => ({ principalId: a.principal_id, accountId: a.id })),
    ...(reach.external.size > 0 ? { external: [...reach.external] } : {}),
    ...(reach.list ? { list: reach.list } : {}),
  };
}

/**
 * A group's or list's members, level by level (one query per level, not per member): individuals
 * are reached, nested groups and lists expanded in turn, each at most once, so a cycle ends;
 * lists add their external members. Disabled members are skipped.
 */
async function expandMembers(db: Db, root: PrincipalRow, reach: Reach, via: string): Promise<void> {
  const visited = new Set([root.id]);
  addExternal(root, reach);
  let level = [root.id];
  for (let depth = 0; level.length > 0 && depth <= MAX_DEPTH; depth++) {
    const next: string[] = [];
    for (const member of await principalRepo.memberRows(db, level)) {
      if (member.disabled === 1 || visited.has(member.id) || reach.found.size >= MAX_FANOUT) continue;
      visited.add(member.id);
      if (member.type === 'individual') reach.found.set(member.id, via);
      else if (member.type === 'group' || member.type === 'list') {
        addExternal(member, reach);
        next.push(member.id);
      }
    }
    level = next;
  }
}

function addExternal(row: PrincipalRow, reach: Reach): void {
  if (row.type !== 'list' || !row.external_members) return;
  for (const address of JSON.parse(row.external_members) as string[]) if (reach.external.size < MAX_FANOUT) reach.external.add(address);
}

async function expand(db: Db, address: string, depth: number, seen: Set<string>, reach: Reach): Promise<'local' | 'remote'> {
  const found = reach.found;
  if (depth > MAX_DEPTH || seen.has(address) || found.size >= MAX_FANOUT) return 'local';
  seen.add(address);
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  let domainName = address.slice(at + 1);
  let domain = await repo.domainByName(db, domainName);
  if (!domain) {
    domain = await repo.domainAliasTarget(db, domainName);
    if (!domain) return depth === 0 ? 'remote' : 'local';
    domainName = domain.name;
    address = `${local}@${domainName}`;
  }
  if (domain.disabled === 1) return 'local';

  const plus = local.indexOf('+');
  const candidates = plus > 0 ? [address, `${local.slice(0, plus)}@${domainName}`] : [address];
  for (const candidate of candidates) {
    const mappings = await repo.mappingsFrom(db, [candidate]);
    if (mappings.length > 0) {
      for (const m of mappings) {
        const targetDomain = m.target.slice(m.target.lastIndexOf('@') + 1);
        const isLocal = (await repo.domainByName(db, targetDomain)) || (await repo.domainAliasTarget(db, targetDomain));
        if (isLocal) await expand(db, m.target, depth + 1, seen, reach);
      }
      return 'local';
    }
    const direct = await repo.principalByAddress(db, candidate);
    if (direct) {
      if (direct.disabled === 1) return 'local';
      if (direct.type === 'group' || direct.type === 'list') {
        // Only the address the sender wrote makes the mail list mail; a list nested in a group does not.
        if (direct.type === 'list' && depth === 0) reach.list = { address: candidate, description: direct.name };
        await expandMembers(db, direct, reach, candidate);
      } else found.set(direct.id, candidate);
      return 'local';
    }
  }
  const wildcard = await repo.principalByAddress(db, `*@${domainName}`);
  if (wildcard) {
    if (wildcard.disabled === 0) found.set(wildcard.id, address);
    return 'local';
  }
  if (domain.catch_all && domain.catch_all !== address) await expand(db, domain.catch_all, depth + 1, seen, reach);
  return 'local';
}
