import type { Delivered } from '../smtp/delivery.ts';
import { startMailListener } from '../smtp/listener.ts';
import { replyFor, SmtpReply } from '../smtp/replies.ts';
import type { Listener, ListenerContext } from '../shared/listener.ts';

/** The LMTP listener (RFC 2033): final delivery from a local MTA, answered per recipient. */
export function startLmtp(ctx: ListenerContext): Promise<Listener> {
  return startMailListener(ctx, { protocol: 'lmtp', port: ctx.config.lmtpPort, answer: answerEachRecipient, authenticate: false });
}

/** One reply per accepted RCPT, in RCPT order, each telling that recipient's fate. */
export function answerEachRecipient(delivered: Delivered): SmtpReply[] {
  return delivered.outcomes.map((o) =>
    o.error ? replyFor(o.error, 'data', o.address) : new SmtpReply(250, '2.0.0', `<${o.address}> Ok: stored as ${o.emailIds.join(' ')} (${delivered.queueId})`),
  );
}
