import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { DKIMSignOptions } from 'mailauth';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import type { Logger } from 'pino';
import type { DkimAlgorithm, DkimKeyRow } from '../../store/db/schema.ts';
import { dkimRepo } from '../../store/repos/dkim.ts';
import type { Store } from '../../store/store.ts';
import type { DirectoryService } from '../directory/directory.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import type { SecretBox } from '../secrets/box.ts';
import { readHeaders } from '../submission/headers.ts';

const generate = promisify(generateKeyPair);

export const DKIM_ALGORITHMS: DkimAlgorithm[] = ['ed25519', 'rsa'];

// One or more DNS labels: the selector is published as <selector>._domainkey.<domain>.
const SELECTOR = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const MAX_SELECTOR = 63;
// Enough for a rotation or two with both algorithms; a domain's keys are listed in one page.
export const MAX_KEYS_PER_DOMAIN = 10;

export interface DkimKeyView {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** The name of the TXT record to publish, with the trailing dot. */
  dnsName: string;
  /** Its content. */
  dnsRecord: string;
  createdAt: string;
}

/** The TXT record content that publishes a key (RFC 6376 §3.6.1, RFC 8463 §4). */
export function dkimTxt(algorithm: DkimAlgorithm, publicKey: string): string {
  return `v=DKIM1; k=${algorithm}; h=sha256; p=${publicKey}`;
}

const view = (domain: string, row: DkimKeyRow): DkimKeyView => ({
  domain,
  selector: row.selector,
  algorithm: row.algorithm,
  dnsName: `${row.selector}._domainkey.${domain}.`,
  dnsRecord: dkimTxt(row.algorithm, row.public_key),
  createdAt: new Date(Number(row.created_at)).toISOString(),
});

/** Stalwart's default: year, month and the algorithm's initial (202611e, 202611r). */
function defaultSelector(algorithm: DkimAlgorithm, now: Date): string {
  return `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${algorithm === 'ed25519' ? 'e' : 'r'}`;
}

/** The public key as the p= tag wants it: raw 32 bytes for Ed25519 (RFC 8463 §4), SPKI DER for RSA. */
function publishedKey(algorithm: DkimAlgorithm, key: KeyObject): string {
  if (algorithm === 'ed25519') return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('base64');
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

async function newKeyPair(algorithm: DkimAlgorithm): Promise<{ privatePem: string; publicKey: string }> {
  // Asynchronous: a 2048-bit RSA key takes long enough to stall every session on the loop.
  const pair = algorithm === 'ed25519' ? await generate('ed25519') : await generate('rsa', { modulusLength: 2048 });
  return { privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: publishedKey(algorithm, pair.publicKey) };
}

/** The domain a message is signed for: its (first) From address's, else the envelope sender's. */
export function signingDomain(raw: Buffer, envelopeFrom: string): string | null {
  const address = readHeaders(raw).from.find((a) => a.includes('@')) ?? envelopeFrom;
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(at + 1).toLowerCase() : null;
}

/**
 * DKIM keys per domain (ADR 0019): made here, private halves sealed with the server key, and
 * used to sign every message the outbound queue accepts for a domain that has any.
 */
export class DkimService {
  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    private readonly box: SecretBox,
    private readonly log?: Logger,
  ) {}

  async create(domainRef: string, input: { algorithm: string; selector?: string | null }): Promise<DkimKeyView> {
    const algorithm = input.algorithm.toLowerCase() as DkimAlgorithm;
    if (!DKIM_ALGORITHMS.includes(algorithm)) throw invalid('algorithm', `must be one of ${DKIM_ALGORITHMS.join(', ')}`);
    const domain = await this.directory.getDomain(domainRef);
    const now = new Date();
    const selector = (input.selector ?? defaultSelector(algorithm, now)).toLowerCase();
    if (selector.length > MAX_SELECTOR || !SELECTOR.test(selector)) throw invalid('selector', 'must be DNS labels (letters, digits, hyphens) of at most 63 characters');
    const existing = await dkimRepo.ofDomain(this.store.db, domain.id);
    if (existing.some((k) => k.selector === selector)) throw conflict(`domain ${domain.name} already has a key with selector ${selector}`);
    if (existing.length >= MAX_KEYS_PER_DOMAIN) throw conflict(`domain ${domain.name} already has ${MAX_KEYS_PER_DOMAIN} keys; delete one first`);
    const { privatePem, publicKey } = await newKeyPair(algorithm);
    const row: DkimKeyRow = { domain_id: domain.id, selector, algorithm, private_key: this.box.seal(privatePem), public_key: publicKey, created_at: now.getTime() };
    try {
      await this.store.write(async (w) => dkimRepo.insert(w.trx, row));
    } catch (err) {
      // Two requests for the same selector at once: the primary key lets one in.
      if (await dkimRepo.get(this.store.db, domain.id, selector)) throw conflict(`domain ${domain.name} already has a key with selector ${selector}`);
      throw err;
    }
    return view(domain.name, row);
  }

  async list(domainRef: string): Promise<DkimKeyView[]> {
    const domain = await this.directory.getDomain(domainRef);
    return (await dkimRepo.ofDomain(this.store.db, domain.id)).map((row) => view(domain.name, row));
  }

  async remove(domainRef: string, selector: string): Promise<void> {
    const domain = await this.directory.getDomain(domainRef);
    const removed = await this.store.write(async (w) => dkimRepo.remove(w.trx, domain.id, selector.toLowerCase()));
    if (removed === 0) throw notFound(`DKIM key ${selector} of domain ${domain.name}`);
  }

  /**
   * Signs a message for its From domain (else the envelope sender's) with every key of that
   * domain, relaxed/relaxed, over mailauth's usual header set; returns it unchanged when the
   * domain has no key. Both algorithms sign when both exist: RFC 8463 §5 asks Ed25519 signers to
   * keep an RSA signature for verifiers that do not know Ed25519 yet.
   */
  async sign(raw: Buffer, envelopeFrom: string): Promise<Buffer> {
    const domain = signingDomain(raw, envelopeFrom);
    if (!domain) return raw;
    const keys = await dkimRepo.ofDomainName(this.store.db, domain);
    if (keys.length === 0) return raw;
    let errors: unknown[];
    let signatures = '';
    try {
      // Each key's own fields are in signatureData; the top-level ones the type asks for are unused.
      const options = {
        canonicalization: 'relaxed/relaxed',
        signTime: new Date(),
        signatureData: keys.map((k) => ({
          signingDomain: domain,
          selector: k.selector,
          privateKey: this.box.open(k.private_key),
          algorithm: k.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
        })),
      } as DKIMSignOptions;
      const result = await dkimSign(raw, options);
      ({ signatures } = result);
      errors = result.errors ?? [];
    } catch (err) {
      errors = [err];
    }
    if (errors.length > 0) {
      // Like OpenDKIM's default (On-InternalError tempfail): unsigned mail from a domain that
      // publishes keys fails DMARC at the receiver, so the sender is told to try again instead.
      this.log?.error({ errors, domain }, 'DKIM signing failed');
      throw new ServiceError('unavailable', `DKIM signing for ${domain} failed`);
    }
    return Buffer.concat([Buffer.from(signatures, 'latin1'), raw]);
  }
}
