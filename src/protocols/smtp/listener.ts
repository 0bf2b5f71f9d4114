import type { SMTPServerAddress, SMTPServerDataResult, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Listener, ListenerContext } from '../shared/listener.ts';
import { recipientAddress, senderAddress } from './addresses.ts';
import { receiveMessage, type DataOptions } from './data.ts';
import { commonOptions, listen } from './library-options.ts';
import { MailServer } from './mail-server.ts';
import { checkParameters } from './parameters.ts';
import { dataResult, replies, replyFor, type SmtpReply } from './replies.ts';
import { addRecipient, beginTransaction, isRepeatedRecipient } from './transaction.ts';

export interface MailListenerOptions extends DataOptions {
  port: number;
}

type DataCallback = (err?: Error | null, message?: string | SMTPServerDataResult[]) => void;

/** The SMTP and LMTP listeners: same transaction handling, different DATA answers. */
export async function startMailListener(ctx: ListenerContext, opts: MailListenerOptions): Promise<Listener> {
  const { config, services, metrics } = ctx;
  const { protocol } = opts;
  const log = ctx.logger.child({ listener: protocol });
  const count = (command: 'MAIL' | 'RCPT' | 'DATA', code: number) => metrics.smtpReplies.inc({ protocol, command, code: String(code) });

  const server = new MailServer({
    ...commonOptions(config, log),
    lmtp: protocol === 'lmtp',
    // Submission with AUTH and STARTTLS is a separate listener; the sendmail joke commands go too.
    disabledCommands: ['AUTH', 'STARTTLS', 'WIZ', 'SHELL', 'KILL'],
    hideSTARTTLS: true,
    // RFC 5321 allows 512 octets plus extension parameters; without AUTH nothing legitimate is longer.
    maxCommandLength: 4096,
    // LMTP peers are local MTAs; for SMTP the name goes into the Received header.
    disableReverseLookup: protocol === 'lmtp',

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      try {
        checkParameters(address, 'MAIL');
        beginTransaction(session, senderAddress(address.address, session.envelope.smtpUtf8 === true));
        count('MAIL', 250);
        callback();
      } catch (err) {
        const reply = replyFor(err, 'mail');
        count('MAIL', reply.code);
        callback(reply);
      }
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const reject = (err: unknown) => {
        const reply = replyFor(err, 'rcpt');
        count('RCPT', reply.code);
        callback(reply);
      };
      if (session.envelope.rcptTo.length >= config.maxRecipients && !isRepeatedRecipient(session, address)) {
        return reject(replies.tooManyRecipients());
      }
      let normalized: string;
      try {
        checkParameters(address, 'RCPT');
        normalized = recipientAddress(address.address, session.envelope.smtpUtf8 === true, config.hostname);
      } catch (err) {
        return reject(err);
      }
      services.delivery.checkRecipient(normalized, Boolean(session.user)).then(
        (accepted) => {
          addRecipient(session, address, accepted);
          count('RCPT', 250);
          callback();
        },
        reject,
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: DataCallback) {
      const send = (answers: SmtpReply[]) => {
        for (const a of answers) count('DATA', a.code);
        if (protocol === 'lmtp') callback(null, answers.map(dataResult));
        else if (answers[0].failed) callback(answers[0]);
        else callback(null, answers[0].message);
      };
      receiveMessage(ctx, opts, log, stream, session).then(
        (answers) => (answers ? send(answers) : callback(new Error('connection closed during DATA'))),
        (err: unknown) => {
          log.error({ err }, 'DATA handling failed');
          const reply = replies.temporaryFailure();
          send(protocol === 'lmtp' ? session.envelope.rcptTo.map(() => reply) : [reply]);
        },
      );
    },
  });

  return listen(server, protocol, opts.port, config.listenAddress, log);
}
