import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import { startServer } from '../server.ts';
import type { CliOptions } from './context.ts';

export async function serve(opts: CliOptions): Promise<void> {
  const config = loadConfig({ path: opts.config });
  const logger = pino({ level: config.logLevel });
  const server = await startServer(config, logger);
  const l = server.listeners;
  logger.info(
    { dataDir: config.dataDir, database: server.store.dialect, http: l.http.port, mgmt: l.mgmt.port, smtp: l.smtp.port, lmtp: l.lmtp.port, imap: l.imap.port, imaps: l.imaps.port, imap2api: l.imap2api?.port },
    'gannet is running',
  );
  if (server.generatedAdminToken) {
    // Printed once, on stdout, outside the log stream: it is stored only as a hash.
    process.stdout.write(
      `\nAdmin token (shown once; keep it safe, or set GANNET_ADMIN_TOKEN):\n\n    ${server.generatedAdminToken}\n\n` +
        `Try:  curl -H "Authorization: Bearer ${server.generatedAdminToken}" http://127.0.0.1:${l.http.port}/api/v1/domains\n\n`,
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
