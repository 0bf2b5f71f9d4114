import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseMessage } from '../../src/mime/parse.ts';
import { readStructure, storedStructure } from '../../src/mime/stored-structure.ts';
import { corpusFiles } from '../helpers/corpus.ts';

test('every corpus structure reads back exactly from its compact stored form, and from the full JSON older releases stored', () => {
  let full = 0;
  let compact = 0;
  for (const file of corpusFiles()) {
    const structure = parseMessage(readFileSync(file)).structure;
    const stored = storedStructure(structure);
    assert.deepEqual(readStructure(stored), structure, file);
    assert.deepEqual(readStructure(JSON.stringify(structure)), structure, `${file} (as stored before)`);
    full += JSON.stringify(structure).length;
    compact += stored.length;
  }
  assert.ok(compact < full * 0.6, `compact ${compact} bytes against ${full}`);
});

test('empty fields are left out; values that only look empty are kept', () => {
  const structure = parseMessage(Buffer.from('Content-Type: text/plain; name=""\r\nContent-Disposition: inline\r\n\r\nx')).structure;
  const stored = JSON.parse(storedStructure(structure)) as Record<string, unknown>;
  assert.equal('contentId' in stored || 'children' in stored || 'bodyStart' in stored, false);
  assert.equal(stored.disposition, 'inline');
  assert.deepEqual(readStructure(JSON.stringify(stored)).params, structure.params);
});
