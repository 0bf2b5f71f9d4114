import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Services } from '../../services/index.ts';

/** What every protocol listener gets from the composition root. */
export interface ListenerContext {
  config: Config;
  services: Services;
  logger: Logger;
  metrics: Metrics;
}

/** A started listener: the port it actually bound (port 0 picks one) and how to stop it. */
export interface Listener {
  name: string;
  address: string;
  port: number;
  close(): Promise<void>;
}
