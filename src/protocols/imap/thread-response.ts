import type { ThreadNode } from '../../services/imap/thread.ts';

/**
 * The threads of a THREAD response (RFC 5256 §BASE.7.2.THREAD), e.g. "(2)(3 6 (4 23)(44 7 96))":
 * a parent and its only child are written one after the other, two or more children as a
 * parenthesised list each, with no space between those lists; a dummy is written as its
 * children alone. Not the writer's ImapData: that would put spaces between the lists.
 */
export function renderThreads(roots: ThreadNode[]): string {
  const out: string[] = [];
  // What is still to write, the next on top: text, or a node's members. A stack, not recursion:
  // a long reply chain nests as deep as it is long.
  const stack: (string | ThreadNode)[] = [];
  const pushLists = (nodes: ThreadNode[]) => {
    for (let i = nodes.length - 1; i >= 0; i--) stack.push(')', nodes[i], '(');
  };
  pushLists(roots);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top === 'string') {
      out.push(top);
      continue;
    }
    const { uid, children } = top;
    if (children.length === 1) stack.push(children[0]);
    else pushLists(children);
    if (uid !== null) {
      out.push(String(uid));
      if (children.length > 0) stack.push(' ');
    }
  }
  return out.join('');
}
