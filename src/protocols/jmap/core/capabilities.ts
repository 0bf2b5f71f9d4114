import { CORE, MAIL, type Args, type MethodRegistry } from '../types.ts';
import type { JmapLimits } from './limits.ts';
import { capabilitiesOf } from './registry.ts';

export interface CapabilityEnv {
  limits: JmapLimits;
  maxMessageSize: number;
}

interface CapabilityDescriptor {
  /** The value under Session.capabilities. */
  session(env: CapabilityEnv): Args;
  /** The value under Account.accountCapabilities; undefined for capabilities without per-account methods. */
  account?(env: CapabilityEnv): Args;
}

export const SUBMISSION = 'urn:ietf:params:jmap:submission';
export const VACATION_RESPONSE = 'urn:ietf:params:jmap:vacationresponse';
export const QUOTA = 'urn:ietf:params:jmap:quota';
export const BLOB = 'urn:ietf:params:jmap:blob';

/** RFC 9404 §3.1 requires at least 64; more buys nothing but bigger requests. */
export const MAX_DATA_SOURCES = 64;
export const BLOB_LOOKUP_TYPES = ['Email', 'Mailbox', 'Thread'];
export const BLOB_DIGESTS = ['sha-256', 'sha'];

/**
 * What each capability's specification says its session and account objects hold. A capability
 * with methods but no entry here is still advertised, with empty objects.
 */
const DESCRIPTORS: Record<string, CapabilityDescriptor> = {
  [CORE]: { session: ({ limits }) => ({ ...limits }) },
  // RFC 8621 §1.3.1
  [MAIL]: {
    session: () => ({}),
    account: ({ maxMessageSize }) => ({
      maxMailboxesPerEmail: null,
      maxMailboxDepth: 32,
      maxSizeMailboxName: 255,
      maxSizeAttachmentsPerEmail: maxMessageSize,
      emailQuerySortOptions: ['receivedAt', 'sentAt', 'size', 'from', 'to', 'subject', 'hasKeyword', 'someInThreadHaveKeyword', 'allInThreadHaveKeyword'],
      mayCreateTopLevelMailbox: true,
    }),
  },
  // RFC 8621 §1.3.2
  [SUBMISSION]: { session: () => ({}), account: () => ({ maxDelayedSend: 0, submissionExtensions: {} }) },
  // RFC 8621 §1.3.3
  [VACATION_RESPONSE]: { session: () => ({}), account: () => ({}) },
  // RFC 9425 §2.1
  [QUOTA]: { session: () => ({}), account: () => ({}) },
  // RFC 9404 §3.1: blobs land in the same store as uploads, so they share its size limit.
  [BLOB]: {
    session: () => ({}),
    account: ({ maxMessageSize }) => ({
      maxSizeBlobSet: maxMessageSize,
      maxDataSources: MAX_DATA_SOURCES,
      supportedTypeNames: BLOB_LOOKUP_TYPES,
      supportedDigestAlgorithms: BLOB_DIGESTS,
    }),
  },
};

export interface AdvertisedCapabilities {
  capabilities: Record<string, Args>;
  accountCapabilities: Record<string, Args>;
}

/** Built from the registry, so a capability appears in the Session as soon as its methods are registered. */
export function advertisedCapabilities(registry: MethodRegistry, env: CapabilityEnv): AdvertisedCapabilities {
  const capabilities: Record<string, Args> = {};
  const accountCapabilities: Record<string, Args> = {};
  for (const urn of capabilitiesOf(registry)) {
    const d = DESCRIPTORS[urn];
    capabilities[urn] = d ? d.session(env) : {};
    // Core methods take no accountId, so core is no account's capability.
    if (urn !== CORE) accountCapabilities[urn] = d?.account ? d.account(env) : {};
  }
  return { capabilities, accountCapabilities };
}
