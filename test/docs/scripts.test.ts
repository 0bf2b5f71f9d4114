import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

test('every npm script runs a file that exists', () => {
  for (const [name, command] of Object.entries(pkg.scripts)) {
    // Paths only: a glob in a find expression names no one file.
    for (const [, file] of command.matchAll(/(?:^|\s)([\w./-]+\.(?:ts|js|mjs))(?=\s|$)/g)) assert.ok(existsSync(file), `npm run ${name}: ${file} is missing`);
  }
});

test('npm run bench lists every benchmark in bench/, and each is documented', () => {
  const listed = execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts'], { encoding: 'utf8' });
  const doc = readFileSync('docs/benchmarks.md', 'utf8');
  for (const file of readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'run.ts')) {
    assert.ok(listed.includes(file.slice(0, -3)), `${file} not listed`);
    assert.ok(doc.includes(`bench/${file}`), `${file} not in docs/benchmarks.md`);
  }
});
