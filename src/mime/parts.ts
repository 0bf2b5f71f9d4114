import type { MimePart } from './types.ts';
import { isMessageType } from './content-type.ts';

function isMultipart(part: MimePart): boolean {
  return part.type.startsWith('multipart/');
}

/**
 * Resolves an IMAP part number (RFC 9051 §6.4.5) against the tree. "" is the root message. A
 * message (the root, or the child of a message/rfc822 part) that is not multipart has exactly
 * one body part, numbered "1" under it, which is the message node itself.
 */
export function findPart(root: MimePart, partId: string): MimePart | null {
  if (partId === '') return root;
  let cur = root;
  let atMessage = true;
  for (const seg of partId.split('.')) {
    if (!/^[1-9][0-9]{0,5}$/.test(seg)) return null;
    const n = Number(seg);
    if (!atMessage && isMessageType(cur.type) && cur.children.length === 1) {
      cur = cur.children[0]!;
      atMessage = true;
    }
    if (isMultipart(cur)) {
      const child = cur.children[n - 1];
      if (!child) return null;
      cur = child;
    } else if (!atMessage || n !== 1) {
      return null;
    }
    atMessage = false;
  }
  return cur;
}

/** Every part number findPart resolves, depth first, in the order IMAP lists them. */
export function listPartIds(root: MimePart): string[] {
  const out: string[] = [];
  const sub = (prefix: string, n: number): string => (prefix === '' ? String(n) : `${prefix}.${n}`);
  const body = (part: MimePart, id: string): void => {
    out.push(id);
    if (isMultipart(part)) part.children.forEach((c, i) => body(c, sub(id, i + 1)));
    else if (isMessageType(part.type) && part.children.length === 1) message(part.children[0]!, id);
  };
  const message = (msg: MimePart, prefix: string): void => {
    if (isMultipart(msg)) msg.children.forEach((c, i) => body(c, sub(prefix, i + 1)));
    else body(msg, sub(prefix, 1));
  };
  message(root, '');
  return out;
}

/** Visits every node of the tree (including encapsulated message nodes), parents first. */
export function walkParts(root: MimePart, visit: (part: MimePart) => void): void {
  const stack: MimePart[] = [root];
  while (stack.length) {
    const p = stack.pop()!;
    visit(p);
    for (let i = p.children.length - 1; i >= 0; i--) stack.push(p.children[i]!);
  }
}
