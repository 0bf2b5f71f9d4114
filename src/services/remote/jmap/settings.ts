import { invalid } from '../../errors.ts';

export type JmapAuthType = 'basic' | 'bearer';

/** How to reach a proxied JMAP account; everything below sessionUrl comes from the upstream Session. */
export interface JmapSettings {
  sessionUrl: string;
  authType: JmapAuthType;
  /** The Basic login; unused with a bearer token. */
  username: string;
  apiUrl: string;
  downloadUrl: string;
  uploadUrl: string;
  /** Its RFC 8620 §7.3 event source; absent in settings stored before push was proxied, until the Session is refetched. */
  eventSourceUrl?: string;
  /** The upstream's id of the account: what Gannet's own account id is rewritten to. */
  upstreamAccountId: string;
  /** The upstream Session's state; a Response with another one makes the proxy refetch it. */
  sessionState: string;
  /** Capabilities of the upstream Session, to keep `using` to what it knows. */
  capabilities: string[];
  /** The upstream account's accountCapabilities, advertised for it in Gannet's Session. */
  accountCapabilities: Record<string, Record<string, unknown>>;
  /** The upstream's maxCallsInRequest: a forwarded batch never holds more. */
  maxCallsInRequest: number;
}

export function checkSessionUrl(v: unknown): string {
  if (v === undefined || v === null || v === '') throw invalid('sessionUrl', 'is required for a JMAP account');
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    throw invalid('sessionUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('sessionUrl', 'must be an absolute http(s) URL');
  if (url.username || url.password) throw invalid('sessionUrl', 'must not carry credentials: give username and password');
  return url.href;
}

export function checkAuthType(v: unknown): JmapAuthType {
  if (v === undefined || v === null) return 'basic';
  if (v !== 'basic' && v !== 'bearer') throw invalid('authType', 'must be "basic" or "bearer"');
  return v;
}

/** The Authorization header every upstream request carries. */
export function authorization(settings: Pick<JmapSettings, 'authType' | 'username'>, secret: string): string {
  return settings.authType === 'bearer' ? `Bearer ${secret}` : 'Basic ' + Buffer.from(`${settings.username}:${secret}`).toString('base64');
}
