import type { HeaderText } from '../../mime/header-text.ts';
import { storedHeaderTexts } from '../../store/blobs/header-texts.ts';
import { mailRepo as repo, type EmailFilter } from '../../store/repos/mail.ts';
import { fold, type HeaderCondition } from '../../store/search/types.ts';
import type { Store } from '../../store/store.ts';

// Emails whose header blocks are read per round: one query for their rows, then the files.
const BATCH = 500;

/**
 * RFC 8621 §4.4.1 `header`: the email has a field of that name (names compare case-insensitively)
 * whose value, unfolded and RFC 2047-decoded, contains the text, compared case-insensitively.
 */
function hasHeader(fields: HeaderText[], c: HeaderCondition): boolean {
  const want = fold(c.value ?? '');
  return fields.some((f) => f.name === c.name && fold(f.text).includes(want));
}

/**
 * The emails matching the filter whose header fields satisfy every condition. The filter should
 * carry the index's narrowing of the conditions: only its matches have their header blocks read.
 */
export async function matchHeaders(store: Store, filter: EmailFilter, conditions: HeaderCondition[]): Promise<number[]> {
  const nums = await repo.matchingNums(store.db, filter);
  const names = new Set(conditions.map((c) => c.name));
  const out: number[] = [];
  for (let i = 0; i < nums.length; i += BATCH) {
    const rows = await repo.headerSources(store.db, nums.slice(i, i + BATCH));
    // A message whose file is missing cannot be shown either; it matches nothing.
    const texts = await storedHeaderTexts(store.blobs, rows, names);
    for (const [k, r] of rows.entries()) {
      const fields = texts[k];
      if (fields && conditions.every((c) => hasHeader(fields, c))) out.push(Number(r.num));
    }
  }
  return out;
}
