import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'v1';

/**
 * Seals upstream secrets (remote account passwords, tokens) at rest with AES-256-GCM under the
 * server key: given in config (every node of a cluster needs the same one), or generated once
 * into the data dir with owner-only permissions.
 */
export class SecretBox {
  private loaded: Buffer | null = null;

  /** The key is read (or made) on first use, so commands that never touch a secret leave no key file. */
  constructor(
    private readonly configured: string,
    private readonly dataDir: string,
  ) {}

  private get key(): Buffer {
    this.loaded ??= loadKey(this.configured, this.dataDir);
    return this.loaded;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    const [version, data] = sealed.split(':');
    if (version !== VERSION || !data) throw new Error('not a sealed secret');
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the secret cannot be opened with this server key (was secretKey changed?)');
    }
  }
}

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('secretKey must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  return key;
}

function loadKey(configured: string, dataDir: string): Buffer {
  if (configured) return decodeKey(configured);
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    // 'wx': two processes starting at once cannot both write a key.
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return decodeKey(readFileSync(file, 'utf8').trim());
}
