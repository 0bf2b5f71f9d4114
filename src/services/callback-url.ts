import { invalid } from './errors.ts';

/**
 * A URL Gannet will POST to (push subscriptions, webhooks): absolute, http or https, and without
 * credentials, which would otherwise be stored and shown wherever the URL is. The scheme rule
 * beyond that is the caller's.
 */
export function parseCallbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('url', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('url', 'must begin with https:// or http://');
  if (url.username || url.password) throw invalid('url', 'must not contain credentials');
  return url;
}
