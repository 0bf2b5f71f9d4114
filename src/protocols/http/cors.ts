import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CorsOptions {
  /** Comma-separated origins (`https://app.example.com`), or `*` for any; empty: none. */
  origins: string;
  methods: string[];
  headers: string[];
  /** Response headers a browser script may read. */
  expose: string[];
  maxAgeSeconds: number;
}

/** Cross-origin access for the allowed origins: headers on every answer to them, preflights included. */
export class Cors {
  private readonly any: boolean;
  private readonly allowed: Set<string>;

  constructor(private readonly opts: CorsOptions) {
    const list = opts.origins.split(',').map((o) => o.trim().toLowerCase().replace(/\/$/, '')).filter(Boolean);
    this.any = list.includes('*');
    this.allowed = new Set(list);
  }

  decorate(req: FastifyRequest, reply: FastifyReply): void {
    const origin = req.headers.origin;
    if (!origin || !(this.any || this.allowed.has(origin.toLowerCase()))) return;
    reply.header('access-control-allow-origin', this.any ? '*' : origin);
    if (!this.any) reply.header('vary', 'Origin');
    if (this.opts.expose.length) reply.header('access-control-expose-headers', this.opts.expose.join(', '));
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      reply.header('access-control-allow-methods', this.opts.methods.join(', '));
      reply.header('access-control-allow-headers', this.opts.headers.join(', '));
      reply.header('access-control-max-age', String(this.opts.maxAgeSeconds));
    }
  }
}
