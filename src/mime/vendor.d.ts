// libmime ships no type declarations; only the members this module uses are declared.

declare module 'libmime' {
  interface ParsedHeaderValue {
    value: string | false;
    params: Record<string, string>;
  }
  interface Libmime {
    decodeWords(str: string): string;
    parseHeaderValue(str: string): ParsedHeaderValue;
    normalizeCharset(charset: string): string;
  }
  const libmime: Libmime;
  export default libmime;
}

declare module 'libmime/lib/charset.js' {
  interface LibmimeCharset {
    /** Falls back to UTF-8 instead of throwing on unknown charsets; handles ISO-2022-JP via encoding-japanese. */
    decode(buf: Buffer, fromCharset?: string): string;
    normalizeCharset(charset: string): string;
  }
  const charset: LibmimeCharset;
  export default charset;
}
