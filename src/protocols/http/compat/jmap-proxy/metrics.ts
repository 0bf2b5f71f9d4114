import { Counter, Gauge } from 'prom-client';
import type { ListenerContext } from '../../../shared/listener.ts';
import { accountidOf } from './accounts.ts';

/**
 * The JMAP proxy's metric names (seed 000, "Health & Metrics"), read from Gannet's own state at
 * scrape time, so dashboards built for the proxy keep working next to the gannet_* metrics.
 */
export function registerProxyMetrics({ services, metrics }: ListenerContext, startedAt: number): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'jmap_uptime_seconds',
    help: 'Seconds since proxy process started',
    registers,
    collect() {
      this.set(Math.round((Date.now() - startedAt) / 1000));
    },
  });
  new Gauge({
    name: 'jmap_backend_workers_active',
    help: 'Active per-account backend worker processes',
    registers,
    collect() {
      this.set(services.mirrors.active);
    },
  });
  new Counter({
    name: 'jmap_http_requests_total',
    help: 'HTTP requests received on the JMAP port',
    registers,
    // The main port's requests are counted once, by route, in gannet_http_requests_total.
    async collect() {
      const total = (await metrics.httpRequests.get()).values.reduce((sum, v) => sum + v.value, 0);
      this.reset();
      this.inc(total);
    },
  });
  new Gauge({
    name: 'jmap_account_last_sync_age_seconds',
    help: 'Seconds since last successful sync per account',
    labelNames: ['accountid'] as const,
    registers,
    async collect() {
      const now = Date.now();
      this.reset();
      for (const account of await services.remotes.lastSyncs()) {
        if (account.lastSyncAt !== null) this.set({ accountid: accountidOf(account) }, Math.max(0, Math.round((now - account.lastSyncAt) / 1000)));
      }
    },
  });
}
