import { checkPushUrl } from './url.ts';

/** POSTs one push message; resolves to the HTTP status, rejects on network failure or timeout. */
export type PushSender = (url: string, body: unknown) => Promise<number>;

const TIMEOUT_MS = 5_000;
// RFC 8030 §5.2: how long a push service may hold the message; state is stale after a day anyway.
const TTL_SECONDS = 86_400;

export const httpPushSender: PushSender = async (url, body) => {
  // Checked again here so a row written by an older, laxer rule still cannot reach plain http.
  checkPushUrl(url);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ttl: String(TTL_SECONDS) },
    body: JSON.stringify(body),
    // A redirect could point anywhere, plain http or an internal host: it counts as a failure.
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.body?.cancel().catch(() => undefined);
  return res.status;
};
