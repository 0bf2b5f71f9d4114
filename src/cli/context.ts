import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createServices, type Services } from '../services/index.ts';
import { Store } from '../store/store.ts';

export interface CliOptions {
  config?: string;
  json?: boolean;
}

/** Opens the same store the server uses (SQLite WAL allows this beside a running server). */
export async function withServices<T>(opts: CliOptions, fn: (services: Services, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig({ path: opts.config });
  const store = await Store.open(config.databaseUrl, config.dataDir);
  try {
    return await fn(createServices(store, config), config);
  } finally {
    await store.close();
  }
}

export const quietLogger = () => pino({ level: 'silent' });

export function print(opts: CliOptions, value: unknown, text: () => string): void {
  process.stdout.write(opts.json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** Walks every page of a paged service call. */
export async function collectAll<T>(fetchPage: (cursor: string | undefined) => Promise<{ results: T[]; next: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...page.results);
    cursor = page.next ?? undefined;
  } while (cursor);
  return all;
}
