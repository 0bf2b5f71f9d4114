import { createHash } from 'node:crypto';
import type { Principal } from '../../../services/directory/directory.ts';
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

function content(principal: Principal, registry: MethodRegistry, env: CapabilityEnv): SessionContent {
  const { capabilities, accountCapabilities } = advertisedCapabilities(registry, env);
  return {
    capabilities,
    // Every account of the pool; the primary is the one primaryAccounts names for each capability.
    accounts: Object.fromEntries(principal.accounts.map((a) => [a.id, { name: a.name, isPersonal: a.isPersonal, isReadOnly: a.isReadOnly, accountCapabilities }])),
    primaryAccounts: Object.fromEntries(Object.keys(accountCapabilities).map((urn) => [urn, principal.accountId])),
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

export function sessionState(principal: Principal, registry: MethodRegistry, env: CapabilityEnv): string {
  return stateOf(content(principal, registry, env));
}

/** `baseUrl` is scheme://host[:port] as the client reached us, without a trailing slash. */
export function buildSession(principal: Principal, registry: MethodRegistry, env: CapabilityEnv, baseUrl: string): Session {
  const c = content(principal, registry, env);
  return {
    ...c,
    apiUrl: `${baseUrl}/jmap`,
    downloadUrl: `${baseUrl}/raw/{accountId}/{blobId}/{name}?type={type}`,
    uploadUrl: `${baseUrl}/upload/{accountId}`,
    eventSourceUrl: `${baseUrl}/eventsource?types={types}&closeafter={closeafter}&ping={ping}`,
    state: stateOf(c),
  };
}
