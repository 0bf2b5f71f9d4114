import pino, { type Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { Metrics } from './observability/metrics.ts';
import { startImap2Api } from './protocols/http/compat/imap2api/listener.ts';
import { startHttp } from './protocols/http/server.ts';
import { startMgmt } from './protocols/http/mgmt/server.ts';
import { startLmtp } from './protocols/lmtp/server.ts';
import type { Listener, ListenerContext } from './protocols/shared/listener.ts';
import { startImap } from './protocols/imap/server.ts';
import { startSmtp } from './protocols/smtp/server.ts';
import { startSubmission } from './protocols/smtp/submission.ts';
import { createServices, type ServiceDependencies, type Services } from './services/index.ts';
import { Store } from './store/store.ts';
import { loadTls } from './tls.ts';

export interface RunningServer {
  config: Config;
  store: Store;
  services: Services;
  logger: Logger;
  listeners: Record<'http' | 'mgmt' | 'smtp' | 'lmtp' | 'imap' | 'imaps' | 'submission' | 'submissions', Listener> & { imap2api?: Listener };
  /** The admin token generated at first start, if this start generated one. */
  generatedAdminToken: string | null;
  close(): Promise<void>;
}

const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;
// Uploads nothing imported are dropped after a day (RFC 8620 §6.1 asks for at least an hour).
const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

/** Composition root: config → store → services → listeners (DESIGN.md §1). */
export async function startServer(config: Config, logger: Logger = pino({ level: config.logLevel }), deps: ServiceDependencies = {}): Promise<RunningServer> {
  const store = await Store.open(config.databaseUrl, config.dataDir);
  const metrics = new Metrics();
  const services = createServices(store, config, metrics, logger, deps);
  const generatedAdminToken = await services.tokens.bootstrapAdminToken();
  const ctx: ListenerContext = { config, services, logger, metrics };

  const started: Listener[] = [];
  try {
    const http = await startHttp(ctx);
    started.push(http);
    const mgmt = await startMgmt(ctx);
    started.push(mgmt);
    const smtp = await startSmtp(ctx);
    started.push(smtp);
    const lmtp = await startLmtp(ctx);
    started.push(lmtp);
    const tls = await loadTls(config);
    const [imap, imaps] = await startImap(ctx, tls);
    started.push(imap, imaps);
    const [submission, submissions] = await startSubmission(ctx, tls);
    started.push(submission, submissions);
    const imap2api = config.imap2apiPort >= 0 ? await startImap2Api(ctx) : undefined;
    if (imap2api) started.push(imap2api);
    services.queue.start();
    services.mirrors.start();
    services.webhooks.start();
    for (const l of started) logger.info({ listener: l.name, address: l.address, port: l.port }, `${l.name} listening on ${l.address}:${l.port}`);

    const housekeeping = setInterval(() => {
      void services.changes.compact(config.changeLogRetentionDays).catch((err) => logger.warn({ err }, 'change log compaction failed'));
      void services.tokens.pruneExpired().catch((err) => logger.warn({ err }, 'token pruning failed'));
      void services.oauth.pruneExpired().catch((err) => logger.warn({ err }, 'OAuth grant pruning failed'));
      void services.blobs.pruneUploads(UPLOAD_TTL_MS).catch((err) => logger.warn({ err }, 'upload pruning failed'));
      void services.webhooks.prune(config.webhookLogRetentionDays).catch((err) => logger.warn({ err }, 'webhook log pruning failed'));
      void services.auth.prune().catch((err) => logger.warn({ err }, 'auth log pruning failed'));
    }, HOUSEKEEPING_INTERVAL_MS);
    housekeeping.unref();

    return {
      config,
      store,
      services,
      logger,
      listeners: { http, mgmt, smtp, lmtp, imap, imaps, submission, submissions, imap2api },
      generatedAdminToken,
      async close() {
        clearInterval(housekeeping);
        await Promise.allSettled(started.map((l) => l.close()));
        await services.push.stop();
        await services.queue.stop();
        await services.mirrors.stop();
        services.upstreams.closeAll();
        await services.webhooks.stop();
        await store.close();
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((l) => l.close()));
    await store.close();
    throw err;
  }
}
