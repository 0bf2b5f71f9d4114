import { parseAddressList } from '../../../mime/addresses.ts';
import { parseDate } from '../../../mime/dates.ts';
import { decodeWords, isFieldName, rawValue, scanHeaders, unfold } from '../../../mime/headers.ts';
import { parseMessageIds } from '../../../mime/message-ids.ts';
import { MethodError } from '../types.ts';
import { parseGroupedAddresses } from './grouped-addresses.ts';

/** `header:{name}[:as{Form}][:all]` properties (RFC 8621 §4.1.2-4.1.3), read from the raw header block. */

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';
export interface HeaderProperty {
  lowerName: string;
  form: HeaderForm;
  all: boolean;
}

const FORMS = new Set<HeaderForm>(['Raw', 'Text', 'Addresses', 'GroupedAddresses', 'MessageIds', 'Date', 'URLs']);
const ADDRESS: HeaderForm[] = ['Addresses', 'GroupedAddresses'];

// Fields with a defined syntax may only be parsed as that syntax (§4.1.2); others take any form.
const RESTRICTED: Record<string, HeaderForm[]> = {};
for (const n of ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc']) RESTRICTED[n] = ADDRESS;
for (const n of ['message-id', 'in-reply-to', 'references', 'resent-message-id']) RESTRICTED[n] = ['MessageIds'];
for (const n of ['date', 'resent-date']) RESTRICTED[n] = ['Date'];
for (const n of ['list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive']) RESTRICTED[n] = ['URLs'];
for (const n of ['subject', 'comments', 'keywords', 'list-id']) RESTRICTED[n] = ['Text'];

/** The parsed property, null when it is not a header property; invalidArguments when malformed. */
export function parseHeaderProperty(property: string): HeaderProperty | null {
  if (!property.startsWith('header:')) return null;
  const parts = property.split(':').slice(1);
  const name = parts.shift() ?? '';
  let all = false;
  if (parts.at(-1) === 'all') {
    all = true;
    parts.pop();
  }
  let form: HeaderForm = 'Raw';
  if (parts.length === 1 && parts[0]!.startsWith('as') && FORMS.has(parts[0]!.slice(2) as HeaderForm)) form = parts[0]!.slice(2) as HeaderForm;
  else if (parts.length) throw new MethodError('invalidArguments', `${property} is not a valid header property`);
  if (!isFieldName(name)) throw new MethodError('invalidArguments', `${property} does not name a header field`);
  const lowerName = name.toLowerCase();
  const allowed = RESTRICTED[lowerName];
  if (form !== 'Raw' && allowed && !allowed.includes(form)) throw new MethodError('invalidArguments', `${name} cannot be read as${form}`);
  return { lowerName, form, all };
}

function urls(value: string): string[] | null {
  const found = [...value.matchAll(/<([^>]*)>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
  return found.length ? found : null;
}

function parsed(value: string, form: HeaderForm): unknown {
  switch (form) {
    case 'Raw': return value;
    case 'Text': return decodeWords(unfold(value));
    case 'Addresses': return parseAddressList(unfold(value));
    case 'GroupedAddresses': return parseGroupedAddresses(unfold(value));
    case 'MessageIds': {
      const ids = parseMessageIds(unfold(value));
      return ids.length ? ids : null;
    }
    case 'Date': {
      const ms = parseDate(unfold(value));
      return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'URLs': return urls(unfold(value));
  }
}

/** The value of one header property for a message whose header block ends at headerEnd. */
export function headerValue(raw: Buffer, headerEnd: number, p: HeaderProperty): unknown {
  const values = scanHeaders(raw, 0, headerEnd).fields.filter((f) => f.lowerName === p.lowerName).map((f) => parsed(rawValue(raw, f), p.form));
  if (p.all) return values;
  return values.length ? values[values.length - 1] : null;
}
