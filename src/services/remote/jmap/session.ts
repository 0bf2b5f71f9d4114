import { ServiceError } from '../../errors.ts';
import { fetchWhole, parseAnswer, upstreamDetail } from './http.ts';
import { authorization, type JmapSettings } from './settings.ts';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const TIMEOUT_MS = 15_000;
const MAX_SESSION_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);
// RFC 8620 §2 requires the limit; a server that leaves it out still takes this many.
const DEFAULT_MAX_CALLS = 16;

export type Connection = Pick<JmapSettings, 'sessionUrl' | 'authType' | 'username'>;
/** What the upstream Session tells: the rest of JmapSettings. */
export type SessionFacts = Omit<JmapSettings, keyof Connection>;

const upstream = (message: string) => new ServiceError('upstream', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An absolute URL of the Session, left as text so the {accountId} of a template is not percent-encoded. */
function absolute(url: unknown, base: string, name: string): string {
  if (typeof url !== 'string') throw upstream(`the upstream Session has no ${name}`);
  if (/^https?:\/\//i.test(url)) return url;
  if (url.startsWith('/')) return new URL(base).origin + url;
  throw upstream(`the upstream Session's ${name} is not an http(s) URL: ${url.slice(0, 200)}`);
}

/** The parts of an RFC 8620 §2 Session the proxy relies on, for its primary mail account. */
function sessionFacts(v: unknown, url: string): SessionFacts {
  if (!isObject(v) || !isObject(v.capabilities) || !isObject(v.accounts) || !isObject(v.primaryAccounts)) throw upstream(`${url} did not return a JMAP Session`);
  const accountId = v.primaryAccounts[MAIL];
  const account = typeof accountId === 'string' ? v.accounts[accountId] : undefined;
  if (typeof accountId !== 'string' || !isObject(account)) throw upstream('the upstream Session has no primary mail account (urn:ietf:params:jmap:mail)');
  const core = v.capabilities[CORE];
  const maxCalls = isObject(core) ? core.maxCallsInRequest : undefined;
  const accountCapabilities = isObject(account.accountCapabilities) ? account.accountCapabilities : {};
  return {
    apiUrl: absolute(v.apiUrl, url, 'apiUrl'),
    downloadUrl: absolute(v.downloadUrl, url, 'downloadUrl'),
    uploadUrl: absolute(v.uploadUrl, url, 'uploadUrl'),
    // Optional here: an upstream without push is still worth proxying.
    eventSourceUrl: typeof v.eventSourceUrl === 'string' ? absolute(v.eventSourceUrl, url, 'eventSourceUrl') : undefined,
    upstreamAccountId: accountId,
    sessionState: typeof v.state === 'string' ? v.state : '',
    capabilities: Object.keys(v.capabilities),
    accountCapabilities: Object.fromEntries(Object.entries(accountCapabilities).filter((e): e is [string, Record<string, unknown>] => isObject(e[1]))),
    maxCallsInRequest: typeof maxCalls === 'number' && Number.isInteger(maxCalls) && maxCalls > 0 ? maxCalls : DEFAULT_MAX_CALLS,
  };
}

/**
 * Fetches the upstream Session (RFC 8620 §2), following redirects such as /.well-known/jmap's.
 * Credentials go only to the origin they were given for: a redirect elsewhere is followed
 * without them, and a refusal there says to give the final URL.
 */
export async function fetchSession(conn: Connection, secret: string): Promise<SessionFacts> {
  const origin = new URL(conn.sessionUrl).origin;
  let url = conn.sessionUrl;
  for (let hop = 0; ; hop++) {
    const sameOrigin = new URL(url).origin === origin;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (sameOrigin) headers.authorization = authorization(conn, secret);
    const res = await fetchWhole(url, { headers }, TIMEOUT_MS, MAX_SESSION_BYTES);
    if (REDIRECT.has(res.status)) {
      const location = res.headers.get('location');
      if (!location || hop >= MAX_REDIRECTS) throw upstream(`${conn.sessionUrl} redirects ${location ? 'too often' : 'without a Location'}`);
      url = new URL(location, url).href;
      if (!/^https?:$/.test(new URL(url).protocol)) throw upstream(`${conn.sessionUrl} redirects to a URL that is not http(s)`);
      continue;
    }
    if (res.status === 401 || res.status === 403) {
      const elsewhere = sameOrigin ? '' : ` (${url} is on another origin, so no credentials were sent there: give it as sessionUrl)`;
      throw upstream(`the upstream JMAP server refused the credentials (HTTP ${res.status}${res.body.length ? `: ${upstreamDetail(res.body)}` : ''})${elsewhere}`);
    }
    if (res.status !== 200) throw upstream(`the upstream JMAP server answered HTTP ${res.status} for ${url}${res.body.length ? `: ${upstreamDetail(res.body)}` : ''}`);
    return sessionFacts(parseAnswer(res.body, `what ${url} returned`), url);
  }
}
