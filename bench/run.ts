/**
 * `npm run bench -- <name>…` runs the named benchmarks one after another, each in a process of
 * its own (with `--expose-gc`, which the memory figures need), passing the environment through
 * (BENCH_* settings). `all` runs every one; no name lists them. Results are printed, never
 * asserted: docs/benchmarks.md records them with the machine and date.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();

const asked = process.argv.slice(2);
if (asked.length === 0) {
  console.log(`usage: npm run bench -- <name>… | all\nbenchmarks: ${available.join(', ')}\nsettings (BENCH_*) for each are in docs/benchmarks.md`);
  process.exit(0);
}
const names = asked.includes('all') ? available : asked;
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}
for (const name of names) {
  console.log(`\n## ${name}`);
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`${name} failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
}
