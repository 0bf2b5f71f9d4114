import { extractBaseSubject } from './base-subject.ts';
import { casefold } from './collation.ts';
import { bySentDate } from './sent-date.ts';
import { linkReferences, type Container } from './thread-links.ts';
import type { ThreadMessage, ThreadNode } from './thread.ts';

/**
 * Every container under the roots, each before its descendants. A stack, not recursion: a long
 * reply chain is as deep as it is long.
 */
function everyContainer(roots: Container[]): Container[] {
  const out: Container[] = [];
  const stack = [...roots];
  for (let c = stack.pop(); c; c = stack.pop()) {
    out.push(c);
    for (const child of c.children) stack.push(child);
  }
  return out;
}

/** The message a container is dated and named by: its own, or a dummy's first child's. */
const head = (c: Container): ThreadMessage => c.message ?? head(c.children[0]);
const byHead = (a: Container, b: Container) => bySentDate(head(a), head(b));

/**
 * (3) Dummies go: those without children, and the others in favour of their children, except
 * that a dummy keeps two or more children that would otherwise become roots.
 */
function pruneDummies(roots: Container[]): Container[] {
  // Descendants first, so a dummy's children have been pruned when it is spliced out.
  for (const c of everyContainer(roots).reverse()) c.children = c.children.flatMap((child) => (child.message ? [child] : child.children));
  return roots.flatMap((r) => (r.message || r.children.length > 1 ? [r] : r.children));
}

/** (4) and (6): siblings by sent date; a dummy, only ever a root, by its first child. */
function sortByDate(roots: Container[]): void {
  for (const c of everyContainer(roots)) c.children.sort(byHead);
  roots.sort(byHead);
}

const threadSubject = (c: Container) => casefold(extractBaseSubject(head(c).subject).text);
const isReplyOrForward = (c: Container) => c.message !== null && extractBaseSubject(c.message.subject).replyOrForward;

/** (5C) Joins `current` to the thread `held` stands for in the subject table; returns what stands for it now. */
function merge(held: Container, current: Container): Container {
  if (!held.message) {
    held.children = held.children.concat(current.message ? [current] : current.children);
    return held;
  }
  if (isReplyOrForward(current) && !isReplyOrForward(held)) {
    held.children.push(current);
    return held;
  }
  return { message: null, parent: null, children: [held, current] };
}

/** (5B) Whether `r` is to stand for its subject instead of `held`: a dummy over a message, an original over a reply. */
const supersedes = (r: Container, held: Container) => held.message !== null && (!r.message || (isReplyOrForward(held) && !isReplyOrForward(r)));

/** (5) Roots with the same base subject become one thread. */
function groupBySubject(roots: Container[]): Container[] {
  // (5B) The first dummy stands for its subject, else the first original, else the first root:
  // so a dummy never has to join a message.
  const table = new Map<string, Container>();
  for (const r of roots) {
    const subject = threadSubject(r);
    const held = table.get(subject);
    if (subject && (!held || supersedes(r, held))) table.set(subject, r);
  }
  // (5C) Every other root joins the one that stands for it, which is skipped when met. It still
  // stands then: any root before it was a reply to it, which merge() does not wrap in a dummy.
  const untitled: Container[] = [];
  for (const r of roots) {
    const subject = threadSubject(r);
    const held = table.get(subject);
    if (!held) untitled.push(r);
    else if (held !== r) table.set(subject, merge(held, r));
  }
  return [...untitled, ...table.values()];
}

function toNodes(roots: Container[]): ThreadNode[] {
  const out: ThreadNode[] = [];
  const stack: [Container, ThreadNode[]][] = roots.map((r): [Container, ThreadNode[]] => [r, out]).reverse();
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [c, siblings] = top;
    const node: ThreadNode = { uid: c.message?.uid ?? null, children: [] };
    siblings.push(node);
    for (let i = c.children.length - 1; i >= 0; i--) stack.push([c.children[i], node.children]);
  }
  return out;
}

/** REFERENCES (RFC 5256 §BASE.6.4.THREAD), its six steps in order. */
export function threadReferences(messages: ThreadMessage[]): ThreadNode[] {
  const roots = pruneDummies(linkReferences(messages));
  sortByDate(roots);
  const threads = groupBySubject(roots);
  sortByDate(threads);
  return toNodes(threads);
}
