import { encryptPush, type PushKeys } from './encrypt.ts';
import { checkPushUrl } from './url.ts';

/**
 * POSTs one push message, encrypted (RFC 8291) when the client gave keys; resolves to the HTTP
 * status, rejects on network failure or timeout.
 */
export type PushSender = (url: string, body: unknown, keys: PushKeys | null) => Promise<number>;

const TIMEOUT_MS = 5_000;
// RFC 8030 §5.2: how long a push service may hold the message; state is stale after a day anyway.
const TTL_SECONDS = 86_400;

export const httpPushSender: PushSender = async (url, body, keys) => {
  // Checked again here so a row written by an older, laxer rule still cannot reach plain http.
  checkPushUrl(url);
  const json = Buffer.from(JSON.stringify(body));
  const res = await fetch(url, {
    method: 'POST',
    headers: keys
      ? { 'content-type': 'application/octet-stream', 'content-encoding': 'aes128gcm', ttl: String(TTL_SECONDS) }
      : { 'content-type': 'application/json', ttl: String(TTL_SECONDS) },
    body: new Uint8Array(keys ? encryptPush(json, keys) : json),
    // A redirect could point anywhere, plain http or an internal host: it counts as a failure.
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.body?.cancel().catch(() => undefined);
  return res.status;
};
