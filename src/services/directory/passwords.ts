import { hash, verify } from '@node-rs/argon2';

// argon2id (the library default) with OWASP's second recommended profile: 19 MiB, 2 passes.
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Verified against when no user matches, so a wrong login name costs as much time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export function burnVerify(password: string): Promise<boolean> {
  dummyHash ??= hashPassword('gannet-timing-equalizer');
  return dummyHash.then((h) => verifyPassword(h, password)).then(() => false);
}
