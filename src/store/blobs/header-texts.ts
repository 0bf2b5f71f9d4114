import { headerSpan, headerTexts, type HeaderText } from '../../mime/header-text.ts';
import type { FsBlobStore } from './fs.ts';
import { readStructure } from '../../mime/stored-structure.ts';

/**
 * The top-level header fields of stored messages (those named in `only`, if given), reading just
 * the start of each file (the structure index says where its header block ends); null for a
 * message whose file is missing.
 */
export async function storedHeaderTexts(blobs: FsBlobStore, messages: { blob_id: string; structure: string }[], only?: Set<string>): Promise<(HeaderText[] | null)[]> {
  const roots = messages.map((m) => readStructure(m.structure));
  const heads = await blobs.heads(messages.map((m, i) => ({ id: m.blob_id, length: headerSpan(roots[i]!) })));
  return heads.map((head, i) => (head ? headerTexts(head, roots[i]!, only) : null));
}
