import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import { Metrics } from '../observability/metrics.ts';
import { buildHttpApp } from '../protocols/http/app.ts';
import { createServices } from '../services/index.ts';
import { Store } from '../store/store.ts';

/** Prints the OpenAPI document generated from the route schemas, against a scratch store. */
export async function openapiCommand(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-openapi-'));
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  const store = await Store.open('', dir);
  try {
    const app = await buildHttpApp({ config, services: createServices(store, config), logger: pino({ level: 'silent' }), metrics: new Metrics() });
    await app.ready();
    process.stdout.write(JSON.stringify(app.swagger(), null, 2) + '\n');
    await app.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
