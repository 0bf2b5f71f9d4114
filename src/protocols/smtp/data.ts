import type { Logger } from 'pino';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { ListenerContext } from '../shared/listener.ts';
import { collectMessage } from './collect.ts';
import { deliverMessage, type Delivered, type Protocol } from './delivery.ts';
import { replies, type SmtpReply } from './replies.ts';

export type Answer = (delivered: Delivered, log: Logger) => SmtpReply[];

export interface DataOptions {
  protocol: Protocol;
  /** SMTP answers a transaction once, LMTP once per recipient (RFC 2033 §4.2). */
  answer: Answer;
  /**
   * Verify SPF/DKIM/DMARC/ARC before storing: the MX, where anyone may connect. LMTP's peer
   * is a trusted MTA that has done this already.
   */
  authenticate: boolean;
}

/**
 * DATA from the first byte to the replies: receive within the size limit, authenticate (MX
 * only), deliver durably, let the protocol turn outcomes into replies. Resolves to null when
 * the client went away before the final dot (nothing is stored and nobody is left to answer).
 */
export async function receiveMessage(
  ctx: ListenerContext,
  { protocol, answer, authenticate }: DataOptions,
  log: Logger,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
): Promise<SmtpReply[] | null> {
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
  const limit = ctx.config.maxMessageSize;
  let message;
  try {
    message = await collectMessage(stream, limit);
  } catch (err) {
    log.info({ from, err: (err as Error).message }, 'message abandoned during DATA');
    return null;
  }
  if (message.exceeded) {
    log.info({ from, size: message.size, limit }, 'message over the size limit refused');
    const reply = replies.tooLarge(limit);
    return protocol === 'lmtp' ? session.envelope.rcptTo.map(() => reply) : [reply];
  }
  let verdict;
  if (authenticate) {
    const ip = session.remoteAddress;
    verdict = await ctx.services.inboundAuth.check({ ip, helo: session.hostNameAppearsAs || '', mailFrom: from ?? '', raw: message.data });
    log.info({ from, ip, ...verdict.summary, quarantine: verdict.quarantine, rejected: verdict.reject !== null }, 'inbound authentication');
    if (verdict.reject !== null) {
      const reply = replies.policyRejection(verdict.reject);
      return protocol === 'lmtp' ? session.envelope.rcptTo.map(() => reply) : [reply];
    }
  }
  const delivered = await deliverMessage(ctx, protocol, session, message.data, verdict);
  const answers = answer(delivered, log);
  log.info(
    {
      queueId: delivered.queueId,
      from: delivered.sender,
      recipients: delivered.outcomes.map((o) => ({ to: o.address, result: o.error ? o.error.code : 'stored', emailIds: o.emailIds })),
      replies: answers.map((a) => a.code),
      size: message.size,
      ms: Math.round(delivered.seconds * 1000),
    },
    answers.every((a) => !a.failed) ? 'delivered' : answers.some((a) => !a.failed) ? 'delivered in part' : 'delivery failed',
  );
  return answers;
}
