import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestMetrics } from '../services/delivery/ingest.ts';

/** Prometheus metrics of one server instance (served on the management port). */
export class Metrics implements IngestMetrics {
  readonly registry = new Registry();

  readonly messagesIngested = new Counter({
    name: 'gannet_messages_ingested_total',
    help: 'Messages stored, by ingest path',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly bytesIngested = new Counter({
    name: 'gannet_ingested_bytes_total',
    help: 'Bytes of messages stored, by ingest path',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly smtpReplies = new Counter({
    name: 'gannet_smtp_replies_total',
    help: 'SMTP and LMTP replies sent, by protocol, command and reply code',
    labelNames: ['protocol', 'command', 'code'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'gannet_http_requests_total',
    help: 'HTTP requests, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gannet_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly deliveryDuration = new Histogram({
    name: 'gannet_delivery_duration_seconds',
    help: 'Time from end of DATA to durable commit, by protocol',
    labelNames: ['protocol'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gannet_' });
  }

  onIngest(source: string, bytes: number): void {
    this.messagesIngested.inc({ source });
    this.bytesIngested.inc({ source }, bytes);
  }
}
