import { createHash } from 'node:crypto';
import type { Principal } from '../../../services/directory/directory.ts';
import type { UpstreamAccount } from '../../../services/remote/jmap/proxy.ts';
import type { Args, MethodRegistry } from '../types.ts';
import { advertisedCapabilities, type CapabilityEnv } from './capabilities.ts';

export interface JmapAccount {
  name: string;
  isPersonal: boolean;
  isReadOnly: boolean;
  accountCapabilities: Record<string, Args>;
}

/** The Session resource (RFC 8620 §2). */
export interface Session {
  capabilities: Record<string, Args>;
  accounts: Record<string, JmapAccount>;
  primaryAccounts: Record<string, string>;
  username: string;
  apiUrl: string;
  downloadUrl: string;
  uploadUrl: string;
  eventSourceUrl: string;
  state: string;
}

type SessionContent = Pick<Session, 'capabilities' | 'accounts' | 'primaryAccounts' | 'username'>;

/** The pool's proxied accounts, as their upstream Sessions describe them. */
export type ProxiedAccounts = ReadonlyMap<string, Pick<UpstreamAccount, 'accountCapabilities'>>;

function content(principal: Principal, registry: MethodRegistry, env: CapabilityEnv, proxied?: ProxiedAccounts): SessionContent {
  const { capabilities, accountCapabilities } = advertisedCapabilities(registry, env);
  // A proxied account has what its upstream account has, as far as this server can carry it:
  // a capability this server does not know cannot be in a request's `using`.
  const capabilitiesOf = (accountId: string): Record<string, Args> => {
    const upstream = proxied?.get(accountId)?.accountCapabilities;
    return upstream ? Object.fromEntries(Object.entries(upstream).filter(([urn]) => urn in accountCapabilities)) : accountCapabilities;
  };
  const primary = capabilitiesOf(principal.accountId);
  return {
    capabilities,
    // Every account of the pool; the primary is the one primaryAccounts names for each capability it has.
    accounts: Object.fromEntries(principal.accounts.map((a) => [a.id, { name: a.name, isPersonal: a.isPersonal, isReadOnly: a.isReadOnly, accountCapabilities: capabilitiesOf(a.id) }])),
    primaryAccounts: Object.fromEntries(Object.keys(primary).map((urn) => [urn, principal.accountId])),
    username: principal.username,
  };
}

/**
 * A hash of what the session says, leaving out the URLs: they follow the Host the client used,
 * and the same session reached under two names must not look like two states.
 */
function stateOf(c: SessionContent): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('base64url').slice(0, 16);
}

export function sessionState(principal: Principal, registry: MethodRegistry, env: CapabilityEnv, proxied?: ProxiedAccounts): string {
  return stateOf(content(principal, registry, env, proxied));
}

/** `baseUrl` is scheme://host[:port] as the client reached us, without a trailing slash. */
export function buildSession(principal: Principal, registry: MethodRegistry, env: CapabilityEnv, baseUrl: string, proxied?: ProxiedAccounts): Session {
  const c = content(principal, registry, env, proxied);
  return {
    ...c,
    apiUrl: `${baseUrl}/jmap`,
    downloadUrl: `${baseUrl}/raw/{accountId}/{blobId}/{name}?type={type}`,
    uploadUrl: `${baseUrl}/upload/{accountId}`,
    eventSourceUrl: `${baseUrl}/eventsource?types={types}&closeafter={closeafter}&ping={ping}`,
    state: stateOf(c),
  };
}
