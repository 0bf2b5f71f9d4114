import type { ThreadMessage } from './thread.ts';

/** A message, or a dummy (message null) for an id that is referenced but not among the messages. */
export interface Container {
  message: ThreadMessage | null;
  parent: Container | null;
  children: Container[];
}

/** RFC 5256 wants quoting undone: <"01KF8JCEOCBS0045PS"@xxx.yyy.com> is <01KF8JCEOCBS0045PS@xxx.yyy.com>. */
function normalizeId(id: string): string {
  const quoted = /^"((?:[^"\\]|\\.)*)"@/s.exec(id);
  return quoted ? quoted[1].replace(/\\(.)/gs, '$1') + id.slice(quoted[0].length - 1) : id;
}

/** The References ids; failing those, the first In-Reply-To id alone (its others are often not ids at all). */
function referencesOf(m: ThreadMessage): string[] {
  return (m.references.length > 0 ? m.references : m.inReplyTo.slice(0, 1)).map(normalizeId);
}

/** Whether making `parent` the parent of `child` would close a loop: `parent` is `child` or below it. */
function wouldLoop(parent: Container, child: Container): boolean {
  // Nothing is below a childless container, so only itself can close the loop: linking a reply
  // before its own replies, the usual order, spares a walk up the whole chain above.
  if (child.children.length === 0) return parent === child;
  for (let c: Container | null = parent; c; c = c.parent) if (c === child) return true;
  return false;
}

function adopt(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

function orphan(child: Container): void {
  if (!child.parent) return;
  const siblings = child.parent.children;
  siblings.splice(siblings.indexOf(child), 1);
  child.parent = null;
}

/**
 * REFERENCES steps 1 and 2: every message and dummy linked to its parent, and the roots, those
 * without one. Messages go in mailbox (UID) order, as the step's rules depend on it.
 */
export function linkReferences(messages: ThreadMessage[]): Container[] {
  const sorted = [...messages].sort((a, b) => a.uid - b.uid);
  const byId = new Map<string, Container>();
  const all = sorted.map((message): Container => ({ message, parent: null, children: [] }));
  // A message without an id, or with one an earlier message has, is given a unique id: it is
  // simply left out of the table, where no reference can find it.
  for (const [i, { messageId }] of sorted.entries()) {
    const id = messageId && normalizeId(messageId);
    if (id && !byId.has(id)) byId.set(id, all[i]);
  }
  const container = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = { message: null, parent: null, children: [] };
      byId.set(id, c);
      all.push(c);
    }
    return c;
  };
  for (const [i, message] of sorted.entries()) {
    const self = all[i];
    const refs = referencesOf(message).map(container);
    // (1A) each reference the parent of the next, unless the next has a parent already: the
    // header may have been cut short, so adjacent ids are not sure to be parent and child.
    for (let k = 1; k < refs.length; k++) {
      if (!refs[k].parent && !wouldLoop(refs[k - 1], refs[k])) adopt(refs[k - 1], refs[k]);
    }
    // (1B) the message's own last reference is its parent, whatever another message suggested.
    // Breaking and remaking a link that is already right would only cost a splice.
    const parent = refs.at(-1) ?? null;
    if (self.parent !== parent) {
      orphan(self);
      if (parent && !wouldLoop(parent, self)) adopt(parent, self);
    }
  }
  return all.filter((c) => !c.parent);
}
