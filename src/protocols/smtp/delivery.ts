import { performance } from 'node:perf_hooks';
import type { SMTPServerSession } from 'smtp-server';
import type { Envelope, RecipientOutcome } from '../../services/delivery/delivery.ts';
import { ServiceError } from '../../services/errors.ts';
import type { ListenerContext } from '../shared/listener.ts';
import { recipientsOf, senderOf } from './transaction.ts';

export type Protocol = 'smtp' | 'lmtp';

export interface Delivered {
  queueId: string;
  sender: string;
  /** One per RCPT, in RCPT order. */
  outcomes: RecipientOutcome[];
  seconds: number;
}

/**
 * Hands a received message to the delivery service and waits for the durable commit. Every
 * RCPT gets an outcome, in RCPT order, so LMTP can answer each and SMTP can summarize.
 */
export async function deliverMessage(ctx: ListenerContext, protocol: Protocol, session: SMTPServerSession, data: Buffer, verdict?: Envelope['verdict']): Promise<Delivered> {
  // Connection id + transaction number ties our log lines to smtp-server's debug trace.
  const queueId = `${session.id}.${session.transaction}`;
  const sender = senderOf(session);
  const accepted = recipientsOf(session);
  const envelope: Envelope = {
    mailFrom: sender,
    remoteAddress: session.remoteAddress,
    // smtp-server puts "[ip]" here when there is no reverse name; the address is added anyway.
    remoteName: session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : undefined,
    helo: session.hostNameAppearsAs || '',
    via: session.transmissionType,
    queueId,
    verdict,
  };
  const started = performance.now();
  const present = accepted.filter((r) => r !== undefined);
  let stored: RecipientOutcome[];
  try {
    stored = present.length > 0 ? await ctx.services.delivery.deliver(envelope, present, data) : [];
  } catch (err) {
    ctx.logger.error({ err, queueId }, 'delivery failed');
    const error = new ServiceError('unavailable', 'delivery failed');
    stored = present.map((r) => ({ address: r.address, error, emailIds: [] }));
  }
  const seconds = (performance.now() - started) / 1000;
  ctx.metrics.deliveryDuration.observe({ protocol }, seconds);

  let next = 0;
  const outcomes = accepted.map((r, i): RecipientOutcome => {
    if (r) return stored[next++];
    // Cannot happen unless smtp-server and our transaction state disagree; never store blindly.
    return { address: session.envelope.rcptTo[i].address, error: new ServiceError('unavailable', 'recipient state lost'), emailIds: [] };
  });
  return { queueId, sender, outcomes, seconds };
}
