import { parseAddressList } from '../../../mime/addresses.ts';
import { decodeWords } from '../../../mime/headers.ts';
import type { EmailAddress } from '../../../mime/types.ts';

/** RFC 8621 §4.1.2.4 EmailAddressGroup. */
export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

// Quoted strings, comments and angle-addresses are single tokens, so only top-level , : ; separate.
const TOKENS = /"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^>]*>?|[,:;]|[^",:;(<]+/g;

// A group's display-name is a phrase: quotes and quoted-pairs go, encoded words are decoded.
function groupName(phrase: string): string | null {
  const name = decodeWords(phrase.replace(/"((?:[^"\\]|\\.)*)"/g, (_m, q: string) => q.replace(/\\(.)/g, '$1')).replace(/\s+/g, ' ')).trim();
  return name || null;
}

/**
 * An unfolded address-list with its groups kept: "name: members;" becomes a named group and
 * consecutive mailboxes outside any group share one group named null. The members themselves are
 * parsed by the same parser as the Addresses form, so both forms agree on every address.
 */
export function parseGroupedAddresses(value: string): EmailAddressGroup[] {
  const out: EmailAddressGroup[] = [];
  const ungrouped = (text: string) => {
    const addresses = parseAddressList(text);
    const last = out.at(-1);
    if (addresses.length === 0) return;
    if (last && last.name === null) last.addresses.push(...addresses);
    else out.push({ name: null, addresses });
  };
  let runStart = 0; // where the current run of ungrouped mailboxes began
  let entryStart = 0; // where the current comma-separated entry began
  let group: { name: string | null; start: number } | null = null;
  for (const { 0: token, index: i } of value.matchAll(TOKENS)) {
    if (token === ',' && !group) entryStart = i + 1;
    else if (token === ':' && !group) {
      ungrouped(value.slice(runStart, entryStart));
      group = { name: groupName(value.slice(entryStart, i)), start: i + 1 };
    } else if (token === ';' && group) {
      out.push({ name: group.name, addresses: parseAddressList(value.slice(group.start, i)) });
      group = null;
      runStart = entryStart = i + 1;
    }
  }
  // An unterminated group still holds what follows its colon (best effort, §4.1.2.4).
  if (group) out.push({ name: group.name, addresses: parseAddressList(value.slice(group.start)) });
  else ungrouped(value.slice(runStart));
  return out;
}
