/** Escapes LIKE wildcards; every LIKE built with it says ESCAPE '\' so both backends agree. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
