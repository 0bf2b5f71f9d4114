import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Store } from '../../store/store.ts';
import { oauthRepo } from '../../store/repos/oauth.ts';
import { newId } from '../../util/ids.ts';
import type { SecretBox } from '../secrets/box.ts';

export const SIGNING_ALG = 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The key pair that signs access and ID tokens: made at first use and stored with its private
 * half sealed under the server key, so every node of a cluster signs with and publishes the same
 * key. Should two nodes make one at once, both keep using the oldest, so they still agree.
 */
export class SigningKeys {
  private current: Promise<SigningKey> | null = null;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  key(): Promise<SigningKey> {
    this.current ??= this.load().catch((err: unknown) => {
      this.current = null;
      throw err;
    });
    return this.current;
  }

  /** The public keys as a JWK Set (RFC 7517 §5). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.key()).publicJwk] };
  }

  private async load(): Promise<SigningKey> {
    let rows = await oauthRepo.keys(this.store.db);
    if (rows.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
      const kid = newId('k');
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
      const sealed = this.box.seal(JSON.stringify(await exportJWK(privateKey)));
      await this.store.write(async (w) =>
        oauthRepo.insertKey(w.trx, { kid, algorithm: SIGNING_ALG, private_key: sealed, public_jwk: JSON.stringify(publicJwk), created_at: Date.now() }),
      );
      rows = await oauthRepo.keys(this.store.db);
    }
    const row = rows[0];
    const privateKey = (await importJWK(JSON.parse(this.box.open(row.private_key)) as JWK, row.algorithm)) as CryptoKey;
    const publicJwk = JSON.parse(row.public_jwk) as JWK;
    return { kid: row.kid, privateKey, publicKey: (await importJWK(publicJwk, row.algorithm)) as CryptoKey, publicJwk };
  }
}
