import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from './ports.ts';

/** A throwaway Dovecot (STACK.md) as a real upstream IMAP server; users log in with plain passwords. */
export interface Dovecot {
  port: number;
  dir: string;
  /** The master process while it runs; its imap processes are its children. */
  readonly pid: number | undefined;
  /** An authenticated imapflow client for one of the users (the "other device" in tests). */
  client(user: string): Promise<ImapFlow>;
  /** Stops the server, keeping its mail (start() it again to bring it back on the same port). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const DOVECOT = ['/usr/sbin/dovecot', '/usr/bin/dovecot'].find((p) => existsSync(p)) ?? null;

export const dovecotInstalled = () => DOVECOT !== null;

async function listening(port: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`dovecot did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function config(dir: string, port: number): string {
  return `instance_name = gannet-test-dovecot-${port}
base_dir = ${dir}/run
state_dir = ${dir}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with wrong passwords on purpose; Dovecot's 2 s delay per failure only slows them.
auth_failure_delay = 0
log_path = ${dir}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_uid = nobody
mail_gid = nogroup
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
`;
}

/**
 * Starts a private Dovecot, or returns null when it is not installed (tests then skip).
 * `extraConfig` is appended to the configuration (later settings win).
 */
export async function startDovecot(users: Record<string, string>, extraConfig = ''): Promise<Dovecot | null> {
  if (!DOVECOT) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gannet-dovecot-'));
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  spawnSync('chown', ['nobody:nogroup', join(dir, 'mail')]);
  const port = await freePort();
  const lines = new Map(Object.entries(users));
  writeFileSync(join(dir, 'users'), [...lines].map(([u, p]) => `${u}:{PLAIN}${p}`).join('\n') + '\n');
  writeFileSync(join(dir, 'dovecot.conf'), config(dir, port) + extraConfig);
  let proc: ChildProcess | null = null;
  const start = async () => {
    // Its own process group, so kill() takes the imap processes serving open sessions down too.
    proc = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore', detached: true });
    await listening(port);
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    process.kill(-p.pid!, 'SIGKILL');
    await exited;
    // The group's other processes die with it; give the kernel a moment to close their sockets.
    await new Promise((r) => setTimeout(r, 50));
  };
  await start();
  return {
    port,
    dir,
    get pid() {
      return proc?.pid;
    },
    async client(user) {
      const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: lines.get(user)! }, logger: false });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
