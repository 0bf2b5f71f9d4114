import { anyStateCommands, capabilities } from './commands/any-state.ts';
import { authCommands } from './commands/auth.ts';
import { fetchCommands } from './commands/fetch.ts';
import { mailboxCommands } from './commands/mailboxes.ts';
import { messageCommands } from './commands/messages.ts';
import { quotaCommands } from './commands/quota.ts';
import { searchCommands } from './commands/search.ts';
import { selectCommands } from './commands/select.ts';
import type { Command } from './reader.ts';
import { asImapError } from './responses.ts';
import type { CommandSpec, ImapSession } from './session.ts';

const COMMANDS: Record<string, CommandSpec> = {
  ...anyStateCommands,
  ...authCommands,
  ...mailboxCommands,
  ...selectCommands,
  ...fetchCommands,
  ...messageCommands,
  ...searchCommands,
  ...quotaCommands,
};

export function isKnownCommand(name: string): boolean {
  return name in COMMANDS;
}

export function greeting(s: ImapSession): void {
  s.status('OK', 'Gannet IMAP ready', `CAPABILITY ${capabilities(s).join(' ')}`);
}

/** Runs one command: state check, the handler, then updates from elsewhere and the tagged result. */
export async function dispatch(s: ImapSession, cmd: Command): Promise<void> {
  const spec = COMMANDS[cmd.name];
  if (!spec) return s.tagged(cmd.tag, 'BAD', `unknown command ${cmd.name.slice(0, 40)}`);
  if (!spec.states.includes(s.state)) {
    return s.tagged(cmd.tag, 'BAD', s.state === 'notauth' ? 'log in first' : `${cmd.name} is not valid in this state`);
  }
  let done;
  try {
    done = (await spec.run(s, cmd)) ?? {};
    const code = s.state === 'selected' ? await s.report(spec.expungeAfter) : null;
    // The tagged OK carries it (RFC 7162 §3.2.7) unless it has a code of its own.
    if (code && !done.code && !done.answered) done.code = code;
    else if (code) s.status('OK', 'highest modseq', code);
  } catch (err) {
    // A command that failed part way through a round of responses (FETCH of a part it cannot
    // decode) left them corked: they go out first, or the tagged answer would never be sent.
    await s.flush();
    const e = asImapError(err);
    if (!e) s.ctx.logger.error({ err, command: cmd.name }, 'imap command failed');
    if (s.state === 'selected') {
      const code = await s.report(false).catch(() => null);
      if (code) s.status('OK', 'highest modseq', code);
    }
    return s.tagged(cmd.tag, e?.status ?? 'NO', e?.message ?? 'internal error; try again', e?.code ?? (e ? undefined : 'SERVERBUG'));
  }
  if (!done.answered) s.tagged(cmd.tag, 'OK', done.text ?? `${cmd.name} completed`, done.code);
}
