import { isIP } from 'node:net';
import { parseCallbackUrl } from '../callback-url.ts';
import { invalid } from '../errors.ts';

/**
 * RFC 8620 §7.2 requires https. Plain http is allowed only to loopback IP literals (127.0.0.0/8,
 * ::1) so tests and a local push relay can run without TLS; a name such as `localhost` is refused
 * because what it resolves to is not ours to decide.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** The push url as it will be used, or 'invalid' naming `url`. */
export function checkPushUrl(raw: string): string {
  const url = parseCallbackUrl(raw);
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url.href;
  throw invalid('url', 'must begin with https:// (http:// only to a loopback address)');
}
