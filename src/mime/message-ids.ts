// Message-ID, In-Reply-To and References parsing. Real headers carry comments, quoted text
// ("<id> (Sam's message of ...)") and missing angle brackets; ids are returned without brackets.

const MAX_IDS = 500;

/** All msg-ids in the value, in order, duplicates removed. */
export function parseMessageIds(value: string | null): string[] {
  if (!value) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (id: string): void => {
    if (id && !seen.has(id) && out.length < MAX_IDS) {
      seen.add(id);
      out.push(id);
    }
  };
  let pos = value.indexOf('<');
  if (pos >= 0) {
    while (pos >= 0 && out.length < MAX_IDS) {
      const gt = value.indexOf('>', pos + 1);
      if (gt < 0) break;
      const inner = value.slice(pos + 1, gt);
      // "<a <b>" : restart at the last '<'
      const lt = inner.lastIndexOf('<');
      push((lt >= 0 ? inner.slice(lt + 1) : inner).replace(/\s+/g, ''));
      pos = value.indexOf('<', gt + 1);
    }
    return out;
  }
  // No brackets at all: accept bare tokens that look like ids.
  for (const tok of value.split(/[\s,]+/)) if (tok.indexOf('@') > 0) push(tok);
  return out;
}

/** The Message-ID header value as a single id, or null. */
export function parseMessageId(value: string | null): string | null {
  if (!value) return null;
  const ids = parseMessageIds(value);
  if (ids.length) return ids[0]!;
  const bare = value.trim().split(/\s+/)[0] ?? '';
  return bare || null;
}
