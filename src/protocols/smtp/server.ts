import type { Logger } from 'pino';
import type { Listener, ListenerContext } from '../shared/listener.ts';
import type { Delivered } from './delivery.ts';
import { startMailListener } from './listener.ts';
import { replyFor, SmtpReply } from './replies.ts';

/** The SMTP listener in the MX role: mail for local recipients from other servers. */
export function startSmtp(ctx: ListenerContext): Promise<Listener> {
  return startMailListener(ctx, { protocol: 'smtp', port: ctx.config.smtpPort, answer: answerTransaction, authenticate: true });
}

/**
 * SMTP has one reply for all recipients. Once any copy is committed the answer is 250: a
 * failure would make the client resend to everyone and duplicate what is stored, so the
 * recipients that failed are logged instead (there is no outbound queue for bounces yet).
 * When nothing was stored, a transient failure wins over a permanent one, since a retry can
 * still reach those recipients.
 */
export function answerTransaction(delivered: Delivered, log: Logger): SmtpReply[] {
  const failed = delivered.outcomes.filter((o) => o.error);
  if (failed.length < delivered.outcomes.length) {
    for (const o of failed) {
      log.warn({ queueId: delivered.queueId, from: delivered.sender, to: o.address, err: o.error?.message }, 'recipient failed after other copies were stored; not reported to the client');
    }
    return [new SmtpReply(250, '2.0.0', `Ok: queued as ${delivered.queueId}`)];
  }
  const errors = failed.map((o) => replyFor(o.error, 'data'));
  return [errors.find((r) => r.transient) ?? errors[0]];
}
