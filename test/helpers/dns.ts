import type { DNSResolver } from '../../src/services/delivery/inbound-auth.ts';

/** Records by `TYPE name` (lower case, no trailing dot): TXT as chunk lists, others as strings. */
export type DnsFixture = Record<string, string[][] | string[]>;

/**
 * A resolver answering only from `records`, so no test depends on real DNS. A name with no
 * records of any type is NXDOMAIN (ENOTFOUND); a name with records of another type is
 * ENODATA, as node's resolver reports them and mailauth expects.
 */
export function staticResolver(records: DnsFixture = {}): DNSResolver {
  const names = new Set(Object.keys(records).map((k) => k.slice(k.indexOf(' ') + 1)));
  return async (name, rrtype) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    const found = records[`${rrtype.toUpperCase()} ${key}`];
    if (found) return found;
    const err = new Error(`${rrtype} ${name}: ${names.has(key) ? 'no data' : 'not found'}`) as NodeJS.ErrnoException;
    err.code = names.has(key) ? 'ENODATA' : 'ENOTFOUND';
    throw err;
  };
}
