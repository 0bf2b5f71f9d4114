import { decodePartBody } from '../../mime/decode.ts';
import { findPart } from '../../mime/parts.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import { uploadRepo } from '../../store/repos/uploads.ts';
import type { Store } from '../../store/store.ts';
import { notFound, ServiceError } from '../errors.ts';
import type { EmailWriter } from '../mail/email-writer.ts';
import { readStructure } from '../../mime/stored-structure.ts';

export interface BlobInfo {
  blobId: string;
  size: number;
  type: string;
}

const SHA = /^[0-9a-f]{64}$/;

/**
 * Blobs as clients address them (JMAP blob ids): `B<sha256>` an upload, `M<sha256>` a stored
 * message, `M<sha256>_<part>` one decoded part of it (part numbers with `-` for `.`). An account
 * reaches only blobs it uploaded or that back one of its own emails, but not one awaiting an IMAP
 * EXPUNGE, which JMAP does not see.
 */
export class BlobService {
  constructor(
    private readonly store: Store,
    private readonly writer: EmailWriter,
    readonly maxSize: number,
  ) {}

  async upload(accountId: string, data: Buffer, type: string): Promise<BlobInfo> {
    if (data.length > this.maxSize) throw new ServiceError('tooLarge', `upload is ${data.length} bytes; the limit is ${this.maxSize}`);
    const ref = await this.store.blobs.put(data);
    const now = Date.now();
    await this.store.write(async (w) => {
      if (await uploadRepo.get(w.trx, accountId, ref.id)) return uploadRepo.touch(w.trx, accountId, ref.id, type, now);
      await mailRepo.addBlobRefs(w.trx, [ref]);
      await uploadRepo.add(w.trx, { account_id: accountId, blob_id: ref.id, type, size: ref.size, created_at: now });
    });
    return { blobId: `B${ref.id}`, size: ref.size, type };
  }

  /** The content of a blob the account may read, and its media type when known. */
  async read(accountId: string, blobId: string): Promise<{ content: Buffer; type: string | null }> {
    const m = /^([BM])([0-9a-f]{64})(?:_(\d+(?:-\d+)*))?$/.exec(blobId);
    if (!m || !SHA.test(m[2])) throw notFound(`blob ${blobId}`);
    const [, kind, sha, part] = m;
    if (kind === 'B') {
      const up = part ? undefined : await uploadRepo.get(this.store.db, accountId, sha);
      if (!up) throw notFound(`blob ${blobId}`);
      return { content: await this.store.blobs.get(sha), type: up.type };
    }
    const email = await uploadRepo.emailStructure(this.store.db, accountId, sha);
    if (!email) throw notFound(`blob ${blobId}`);
    const raw = await this.store.blobs.get(sha);
    if (!part) return { content: raw, type: 'message/rfc822' };
    const found = findPart(readStructure(email.structure), part.replace(/-/g, '.'));
    if (!found || found.type.startsWith('multipart/')) throw notFound(`blob ${blobId}`);
    return { content: decodePartBody(raw, found), type: found.type };
  }

  /**
   * Ids of the account's emails stored in a message blob (`M<sha>` or one of its parts); none
   * for uploads or blobs the account cannot see (JMAP Blob/lookup).
   */
  async emailIdsUsing(accountId: string, blobId: string): Promise<string[]> {
    const m = /^M([0-9a-f]{64})(?:_\d+(?:-\d+)*)?$/.exec(blobId);
    if (!m) return [];
    if (blobId.includes('_')) {
      try {
        await this.read(accountId, blobId);
      } catch (err) {
        if (err instanceof ServiceError && err.code === 'notFound') return [];
        throw err;
      }
    }
    return uploadRepo.emailIdsIn(this.store.db, accountId, m[1]);
  }

  /** Drops uploads older than maxAgeMs that nothing imported (RFC 8620 §6.1: at least 1 hour). */
  async pruneUploads(maxAgeMs: number): Promise<number> {
    const old = await uploadRepo.expired(this.store.db, Date.now() - maxAgeMs, 500);
    if (old.length === 0) return 0;
    await this.store.write(async (w) => {
      for (const u of old) {
        await uploadRepo.remove(w.trx, u.account_id, u.blob_id);
        await mailRepo.dropBlobRef(w.trx, u.blob_id);
      }
    });
    await this.writer.collectGarbage();
    return old.length;
  }
}
