import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../app.ts';
import type { DeliveryReport, StepName } from '../../../../services/outbound/troubleshoot.ts';
import { needs } from '../../route-permission.ts';

/** Stalwart's stage names for each step: started, succeeded, failed. */
const STAGES: Record<StepName, [string, string, string]> = {
  connect: ['connectionStart', 'connectionSuccess', 'connectionError'],
  greeting: ['readGreetingStart', 'readGreetingSuccess', 'readGreetingError'],
  ehlo: ['ehloStart', 'ehloSuccess', 'ehloError'],
  starttls: ['startTlsStart', 'startTlsSuccess', 'startTlsError'],
  mailFrom: ['mailFromStart', 'mailFromSuccess', 'mailFromError'],
  rcptTo: ['rcptToStart', 'rcptToSuccess', 'rcptToError'],
  quit: ['quitStart', 'quitCompleted', 'quitCompleted'],
};

/**
 * The report as Stalwart's delivery stages, in order. Stalwart streams them as server-sent
 * events; the seed leaves the body unspecified, so Gannet sends the whole list at once in the
 * usual `{data: …}` envelope. The MX and MTA-STS stages share one elapsed time (the route's).
 */
export function stages(r: DeliveryReport): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const elapsed = r.route.elapsedMs;
  if (r.route.via === 'mx') {
    out.push({ type: 'mxLookupStart', domain: r.domain });
    if (r.route.mx) out.push({ type: 'mxLookupSuccess', mxs: r.route.mx.map((m) => ({ exchanges: [m.host], preference: m.preference })), elapsed });
    else out.push({ type: 'mxLookupError', reason: r.route.error, elapsed });
    if (r.route.mx) {
      out.push({ type: 'mtaStsFetchStart' });
      if (r.route.mtaSts) out.push({ type: 'mtaStsFetchSuccess', policy: r.route.mtaSts, elapsed });
      else if (r.route.mtaStsError) out.push({ type: 'mtaStsFetchError', reason: r.route.mtaStsError, elapsed });
      else out.push({ type: 'mtaStsNotFound', elapsed });
    }
  }
  if (r.route.mx && r.route.error) out.push({ type: 'mtaStsVerifyError', reason: r.route.error });
  for (const host of r.hosts) {
    out.push({ type: 'deliveryAttemptStart', hostname: host.host });
    for (const s of host.steps) {
      const [start, ok, failed] = STAGES[s.step];
      out.push({ type: start });
      out.push(s.ok ? { type: ok, elapsed: s.elapsedMs, ...(s.response ? { response: s.response } : {}) } : { type: failed, reason: s.response ?? s.error, elapsed: s.elapsedMs });
    }
  }
  out.push({ type: 'completed' });
  return out;
}

/** The seed's GET /troubleshoot/delivery/{recipient}. */
export function troubleshootRoutes(app: App, { services }: RouteDeps): void {
  app.get(
    '/troubleshoot/delivery/:recipient',
    {
      ...needs('troubleshoot'),
      schema: {
        params: Type.Object({ recipient: Type.String({ minLength: 1, maxLength: 320 }) }),
        // Stalwart's troubleshooting token stands in for the admin credentials; Gannet takes the admin token as everywhere.
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 1000 })) }),
      },
    },
    async (req) => ({ data: stages(await services.troubleshoot.run(req.params.recipient)) }),
  );
}
