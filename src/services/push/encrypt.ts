import { createCipheriv, createECDH, createHmac, randomBytes } from 'node:crypto';

/** The client's keys from PushSubscription.keys (RFC 8620 §7.2), base64url as sent. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

const RECORD_SIZE = 4096;

const hmac = (key: Buffer, ...data: Buffer[]) => {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
};

/** HKDF with one output block (RFC 5869), all RFC 8291 needs: every output is at most 32 bytes. */
const hkdf = (salt: Buffer, ikm: Buffer, info: Buffer, length: number) => hmac(hmac(salt, ikm), info, Buffer.from([1])).subarray(0, length);

/** Decodes and checks the keys; throws with the property at fault. */
export function decodePushKeys(keys: PushKeys): { uaPublic: Buffer; authSecret: Buffer } {
  const uaPublic = Buffer.from(keys.p256dh, 'base64url');
  const authSecret = Buffer.from(keys.auth, 'base64url');
  if (uaPublic.length !== 65 || uaPublic[0] !== 4) throw new Error('p256dh must be an uncompressed P-256 public key (65 bytes, base64url)');
  // computeSecret rejects a point that is not on the curve.
  try {
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(uaPublic);
  } catch {
    throw new Error('p256dh is not a point on the P-256 curve');
  }
  if (authSecret.length !== 16) throw new Error('auth must be 16 bytes, base64url');
  return { uaPublic, authSecret };
}

/**
 * Encrypts one push message for the user agent (RFC 8291, aes128gcm content coding of RFC 8188):
 * a fresh ECDH key and salt per message, one record. `fixed` is for the RFC's test vector only.
 */
export function encryptPush(plaintext: Buffer, keys: PushKeys, fixed?: { asPrivate: Buffer; salt: Buffer }): Buffer {
  const { uaPublic, authSecret } = decodePushKeys(keys);
  const ecdh = createECDH('prime256v1');
  if (fixed) ecdh.setPrivateKey(fixed.asPrivate);
  else ecdh.generateKeys();
  const asPublic = ecdh.getPublicKey();
  const salt = fixed?.salt ?? randomBytes(16);
  const ecdhSecret = ecdh.computeSecret(uaPublic);
  const ikm = hkdf(authSecret, ecdhSecret, Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]), 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  // 0x02 ends the last (only) record, with no padding after it.
  const body = Buffer.concat([cipher.update(Buffer.concat([plaintext, Buffer.from([2])])), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(RECORD_SIZE, 16);
  header[20] = asPublic.length;
  return Buffer.concat([header, asPublic, body]);
}
