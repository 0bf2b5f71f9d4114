import { createHash, timingSafeEqual } from 'node:crypto';

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;
const ROUNDS_MAX = 999_999_999;
// Verified at login, so the work is bounded: Stalwart's web admin uses the default 5000.
const ROUNDS_ACCEPTED = 100_000;

/** The byte order SHA-512-crypt's final encoding takes: triples (a, b, c), then the last byte. */
const ORDER: Array<[number, number, number]> = Array.from({ length: 21 }, (_, i) => [i, i + 21, i + 42] as [number, number, number]).map(([a, b, c], i) => {
  const rot = i % 3;
  return rot === 0 ? [a, b, c] : rot === 1 ? [b, c, a] : [c, a, b];
});

function encode64(b: Buffer): string {
  let out = '';
  const put = (v: number, n: number) => {
    for (let i = 0; i < n; i++, v >>= 6) out += B64[v & 63];
  };
  for (const [x, y, z] of ORDER) put((b[x] << 16) | (b[y] << 8) | b[z], 4);
  put(b[63], 2);
  return out;
}

const sha512 = (...parts: Buffer[]) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

function repeatTo(src: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += src.length) src.copy(out, i, 0, Math.min(src.length, length - i));
  return out;
}

/** SHA-512-crypt ("$6$", Drepper's specification) of a password under a salt and round count. */
export function sha512Crypt(password: string, salt: string, rounds = ROUNDS_DEFAULT, explicitRounds = false): string {
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 16), 'utf8');
  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s).update(repeatTo(b, p.length));
  for (let n = p.length; n > 0; n >>= 1) a.update(n & 1 ? b : p);
  const aDigest = a.digest();
  const dp = createHash('sha512');
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pBytes = repeatTo(dp.digest(), p.length);
  const ds = createHash('sha512');
  for (let i = 0; i < 16 + aDigest[0]; i++) ds.update(s);
  const sBytes = repeatTo(ds.digest(), s.length);
  let c = aDigest;
  for (let i = 0; i < rounds; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? pBytes : c);
    if (i % 3) h.update(sBytes);
    if (i % 7) h.update(pBytes);
    h.update(i & 1 ? c : pBytes);
    c = h.digest();
  }
  return `$6$${explicitRounds ? `rounds=${rounds}$` : ''}${s.toString('utf8')}$${encode64(c)}`;
}

export const isSha512Crypt = (hash: string) => /^\$6\$(rounds=\d+\$)?[^$]{0,16}\$[./0-9A-Za-z]{86}$/.test(hash);

/** Whether the password matches a "$6$" hash (as Stalwart's web admin sends app passwords). */
export function verifySha512Crypt(hash: string, password: string): boolean {
  const m = /^\$6\$(?:rounds=(\d+)\$)?([^$]{0,16})\$/.exec(hash);
  if (!m) return false;
  const rounds = m[1] === undefined ? ROUNDS_DEFAULT : Math.min(ROUNDS_MAX, Math.max(1000, Number(m[1])));
  if (rounds > ROUNDS_ACCEPTED) return false;
  const computed = Buffer.from(sha512Crypt(password, m[2], rounds, m[1] !== undefined));
  const expected = Buffer.from(hash);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
