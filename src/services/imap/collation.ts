/**
 * The i;unicode-casemap collation (RFC 5051) that SORT and THREAD must use (RFC 5256 §7):
 * titlecase, then NFKD, then compare the UTF-8 octets. JavaScript has no titlecase mapping;
 * upper case equals it but for a few digraphs, and unlike lower case it keeps letters before
 * "[", "_" and "`" as the collation does.
 */
export function casefold(s: string): string {
  return s.toUpperCase().normalize('NFKD');
}

/** A key whose Buffer.compare order is the collation's: UTF-8 octet order is code point order, not UTF-16's. */
export function collationKey(s: string): Buffer {
  return Buffer.from(casefold(s), 'utf8');
}
