import { BLOB } from '../core/capabilities.ts';
import { CORE, type MethodRegistry } from '../types.ts';
import { blobCopy } from './copy.ts';
import { blobGet } from './get.ts';
import { blobLookup } from './lookup.ts';
import { blobUpload } from './upload.ts';

/** RFC 9404 methods; Blob/copy belongs to core (RFC 8620 §6.3) but lives with its kin. */
export function registerBlobMethods(registry: MethodRegistry): void {
  registry.set('Blob/upload', { capability: BLOB, handler: blobUpload });
  registry.set('Blob/get', { capability: BLOB, handler: blobGet });
  registry.set('Blob/lookup', { capability: BLOB, handler: blobLookup });
  registry.set('Blob/copy', { capability: CORE, handler: blobCopy });
}
