import type { MimePart } from './types.ts';

// Fields most parts leave empty: the stored JSON leaves them out, and reading puts them back.
// Most of a typical structure was these (1.3 kB → ~0.5 kB), and it is stored in every email row,
// which a flag change rewrites whole.
const EMPTY_WHEN_ABSENT = {
  params: () => ({}),
  disposition: () => null,
  dispositionParams: () => ({}),
  filename: () => null,
  contentId: () => null,
  contentDescription: () => null,
  contentLanguage: () => null,
  contentLocation: () => null,
  contentMd5: () => null,
} satisfies Partial<Record<keyof MimePart, () => unknown>>;

const isEmpty = (v: unknown) => v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

function compact(part: MimePart): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(part)) {
    if (key in EMPTY_WHEN_ABSENT && isEmpty(value)) continue;
    if (key === 'bodyStart' && value === part.headerEnd) continue;
    if (key === 'children') {
      if (part.children.length) out.children = part.children.map(compact);
      continue;
    }
    out[key] = value;
  }
  return out;
}

function complete(part: Record<string, unknown>): MimePart {
  for (const [key, empty] of Object.entries(EMPTY_WHEN_ABSENT)) if (!(key in part)) part[key] = empty();
  part.bodyStart ??= part.headerEnd;
  part.children = ((part.children as Record<string, unknown>[] | undefined) ?? []).map(complete);
  return part as unknown as MimePart;
}

/** A MIME structure as stored with its email: JSON without the fields left empty. */
export function storedStructure(root: MimePart): string {
  return JSON.stringify(compact(root));
}

/** The MIME structure stored with an email (by storedStructure, or in full by older releases). */
export function readStructure(json: string): MimePart {
  return complete(JSON.parse(json) as Record<string, unknown>);
}
