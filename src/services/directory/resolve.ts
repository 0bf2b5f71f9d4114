import type { Db } from '../../store/db/connect.ts';
import { directoryRepo as repo } from '../../store/repos/directory.ts';
import { parseAddress } from './names.ts';

/** Where mail for one envelope recipient goes. */
export type Resolution =
  | { kind: 'local'; address: string; accounts: { principalId: string; accountId: string }[] }
  | { kind: 'unknown'; address: string }
  | { kind: 'remote'; address: string }
  | { kind: 'invalid'; address: string; reason: string };

const MAX_DEPTH = 8;
const MAX_FANOUT = 1000;

/**
 * Address → accounts, following domain aliases, aliases, groups and internal forwards, then the
 * address itself, plus-addressing (user+tag@), the `*@domain` wildcard and the domain catch-all.
 * Forwards to addresses outside this server wait for outbound sending; they are skipped here.
 */
export async function resolveRecipient(db: Db, input: string): Promise<Resolution> {
  let parsed;
  try {
    parsed = parseAddress(input, 'recipient');
  } catch (err) {
    return { kind: 'invalid', address: input, reason: (err as Error).message };
  }
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const local = await expand(db, parsed.normalized, 0, seen, found);
  if (local === 'remote') return { kind: 'remote', address: parsed.normalized };
  if (found.size === 0) return { kind: 'unknown', address: parsed.normalized };
  // Mail to a principal lands in its primary account, never in the other accounts of its pool.
  const accounts = await repo.primaryAccountsOf(db, [...found.keys()]);
  return {
    kind: 'local',
    address: parsed.normalized,
    accounts: accounts.map((a) => ({ principalId: a.principal_id, accountId: a.id })),
  };
}

async function expand(db: Db, address: string, depth: number, seen: Set<string>, found: Map<string, string>): Promise<'local' | 'remote'> {
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
        if (isLocal) await expand(db, m.target, depth + 1, seen, found);
      }
      return 'local';
    }
    const direct = await repo.principalByAddress(db, candidate);
    if (direct) {
      if (direct.disabled === 0) found.set(direct.id, candidate);
      return 'local';
    }
  }
  const wildcard = await repo.principalByAddress(db, `*@${domainName}`);
  if (wildcard) {
    if (wildcard.disabled === 0) found.set(wildcard.id, address);
    return 'local';
  }
  if (domain.catch_all && domain.catch_all !== address) await expand(db, domain.catch_all, depth + 1, seen, found);
  return 'local';
}
