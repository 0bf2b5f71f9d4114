import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderThreads } from '../../../src/protocols/imap/thread-response.ts';
import type { ThreadNode } from '../../../src/services/imap/thread.ts';

const node = (uid: number | null, ...children: ThreadNode[]): ThreadNode => ({ uid, children });

test('RFC 5256 §4 examples', () => {
  assert.equal(renderThreads([node(2), node(3, node(6, node(4, node(23)), node(44, node(7, node(96)))))]), '(2)(3 6 (4 23)(44 7 96))');
  assert.equal(renderThreads([node(null, node(3), node(5))]), '((3)(5))');
  assert.equal(renderThreads([]), '');
});

test('RFC 5256 §BASE.6.4.THREAD examples, written back', () => {
  const ordered = [node(166), node(174, node(175), node(176), node(178), node(181), node(180)), node(194, node(195)), node(196, node(197), node(198))];
  assert.equal(renderThreads(ordered), '(166)(174 (175)(176)(178)(181)(180))(194 195)(196 (197)(198))');
  const references = [
    node(null, node(170), node(179)),
    node(null, node(177), node(183), node(182), node(188, node(184), node(189)), node(185, node(186)), node(187)),
    node(null, node(194), node(195, node(196))),
    node(205, node(206, node(207))),
  ];
  assert.equal(renderThreads(references), '((170)(179))((177)(183)(182)(188 (184)(189))(185 186)(187))((194)(195 196))(205 206 207)');
});

test('a dummy is written as its children: a list of lists, or its one child inline', () => {
  assert.equal(renderThreads([node(1, node(null, node(2), node(3)), node(4))]), '(1 ((2)(3))(4))');
  assert.equal(renderThreads([node(1, node(null, node(2), node(3)))]), '(1 (2)(3))');
  assert.equal(renderThreads([node(null, node(2, node(3)))]), '(2 3)');
});

test('a chain a hundred thousand deep is written without deep recursion', () => {
  const n = 100_000;
  let root = node(n);
  for (let uid = n - 1; uid >= 1; uid--) root = node(uid, root);
  assert.equal(renderThreads([root]), `(${Array.from({ length: n }, (_, i) => i + 1).join(' ')})`);
});
