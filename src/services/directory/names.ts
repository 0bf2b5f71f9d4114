import { invalid } from '../errors.ts';

/**
 * Validation of the names people type: domains, logins, addresses. Everything is checked here,
 * once, before it reaches storage or a log line, so hostile input (control characters, `../`,
 * 10 kB strings) gets a precise error on every face.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function normalizeDomain(input: string, field = 'name'): string {
  const name = input.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0) throw invalid(field, 'must not be empty');
  if (name.length > 253) throw invalid(field, 'a domain name has at most 253 characters');
  if (CONTROL.test(name)) throw invalid(field, 'must not contain control characters');
  const labels = name.split('.');
  if (labels.length < 2 && name !== 'localhost') throw invalid(field, 'must be a fully qualified domain name such as example.com');
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) {
    throw invalid(field, 'must consist of labels of letters, digits and hyphens separated by dots (use punycode for IDNs)');
  }
  return name;
}

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/i;

export interface ParsedAddress {
  local: string;
  domain: string;
  /** local@domain, lower-cased. */
  normalized: string;
}

/** An address people can be reached at; `*@domain` only when wildcards are allowed. */
export function parseAddress(input: string, field = 'address', allowWildcard = false): ParsedAddress {
  const value = input.trim();
  if (value.length > 320) throw invalid(field, 'an address has at most 320 characters');
  if (CONTROL.test(value)) throw invalid(field, 'must not contain control characters');
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) throw invalid(field, 'must be an address of the form name@domain');
  const local = value.slice(0, at);
  const domain = normalizeDomain(value.slice(at + 1), field);
  const wildcard = local === '*';
  if (wildcard && !allowWildcard) throw invalid(field, 'a wildcard address is not allowed here');
  if (!wildcard && (!LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..'))) {
    throw invalid(field, 'the part before @ may hold letters, digits and !#$%&\'*+/=?^_`{|}~.- (no leading, trailing or double dots)');
  }
  return { local, domain, normalized: `${local.toLowerCase()}@${domain}` };
}

const USERNAME = /^[a-z0-9][a-z0-9._+@-]{0,127}$/;

export function normalizeUsername(input: string, field = 'username'): string {
  const name = input.trim().toLowerCase();
  if (name.length === 0) throw invalid(field, 'must not be empty');
  if (name.length > 128) throw invalid(field, 'a user name has at most 128 characters');
  if (CONTROL.test(name)) throw invalid(field, 'must not contain control characters');
  if (!USERNAME.test(name) || name.includes('..')) {
    throw invalid(field, 'may hold letters, digits and . _ + @ -, starting with a letter or digit');
  }
  return name;
}

export function checkPassword(password: string, field = 'password'): void {
  if (password.length < 8) throw invalid(field, 'must be at least 8 characters');
  if (password.length > 1024) throw invalid(field, 'must be at most 1024 characters');
}

/** Display names: free text, but bounded and without control characters. */
export function checkDisplayName(name: string, field = 'name'): string {
  const value = name.trim();
  if (value.length > 256) throw invalid(field, 'must be at most 256 characters');
  if (CONTROL.test(value)) throw invalid(field, 'must not contain control characters');
  return value;
}

/** Mailbox names: one level of the hierarchy; `/` separates levels on IMAP, so it is not allowed inside one. */
export function checkMailboxName(input: string, field = 'name'): string {
  const name = input.normalize('NFC');
  if (name.trim().length === 0) throw invalid(field, 'must not be empty');
  if (name.length > 255) throw invalid(field, 'a mailbox name has at most 255 characters');
  if (CONTROL.test(name)) throw invalid(field, 'must not contain control characters');
  if (name.includes('/')) throw invalid(field, 'must not contain "/" (it separates hierarchy levels)');
  if (name !== name.trim()) throw invalid(field, 'must not start or end with white space');
  if (name === '.' || name === '..') throw invalid(field, 'must not be "." or ".."');
  return name;
}
