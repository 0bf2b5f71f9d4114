import type { Folder } from './folders.ts';
import { MailboxView, type MailboxViews, type MessageState } from './mailbox-view.ts';

export type { MessageState } from './mailbox-view.ts';

// Most messages carry one of a few keyword sets ([], ["$seen"]…): one array each, not one per message.
const lists = new Map<string, string[]>();
const MAX_LISTS = 10_000;

/** The shared array for a keyword list. */
export function keywordList(keywords: string[]): string[] {
  const key = keywords.join(' ');
  let list = lists.get(key);
  if (!list) {
    if (lists.size >= MAX_LISTS) lists.clear();
    list = keywords;
    lists.set(key, list);
  }
  return list;
}

/** What a session must tell its client about changes made elsewhere. */
export type MailboxUpdate =
  | { kind: 'expunge'; seq: number; uid: number }
  | { kind: 'exists'; count: number }
  | { kind: 'flags'; seq: number; message: MessageState };

const MAX_SKIPPED_WRITES = 500;

const sameKeywords = (a: string[], b: string[]) => a === b || a.join(' ') === b.join(' ');

/**
 * The selected mailbox as one session sees it: message sequence numbers are positions in its UID
 * list, which changes only when the session is told (RFC 9051 §7.5.1: an expunge is reported
 * only when the protocol allows it, so until then the gone message keeps its number).
 *
 * The list is a MailboxView shared with every other session that has caught up to the same
 * modseq; what this session alone knows (its own flag changes, expunges it has not reported yet)
 * is kept beside it.
 */
export class SelectedMailbox {
  private view: MailboxView;
  /** Flags this session changed itself, until its next catch-up folds them in. */
  private readonly own = new Map<number, MessageState>();
  /** Modseqs of this session's own flag writes, all of whose results are in `own`. */
  private ownWrites: number[] = [];
  /** UIDs expunged elsewhere, not yet reported. */
  private readonly gone = new Set<number>();
  /** Every change up to this modseq is reflected here. */
  modseq: number;
  /**
   * While expunges are held back, the modseq the client may rely on: the last one before them
   * (RFC 7162 §3.2: HIGHESTMODSEQ must not pass an expunge not yet reported). null when none are.
   */
  heldModseq: number | null = null;
  uidNext: number;

  constructor(
    readonly accountId: string,
    readonly folder: Folder,
    readonly readOnly: boolean,
    view: MailboxView,
    private readonly views: MailboxViews,
  ) {
    this.view = view;
    this.modseq = view.modseq;
    this.uidNext = folder.row.uidnext;
  }

  get count(): number {
    return this.view.length;
  }

  get mailboxId(): string {
    return this.folder.id;
  }

  /** 1-based sequence number of a UID, or 0 when it is not (or no longer) listed. */
  seqOf(uid: number): number {
    return this.view.indexOf(uid) + 1;
  }

  uidAt(seq: number): number {
    return this.view.uidAt(seq - 1);
  }

  at(seq: number): MessageState | undefined {
    if (seq < 1 || seq > this.view.length) return undefined;
    return this.own.get(this.view.uidAt(seq - 1)) ?? this.view.at(seq - 1);
  }

  message(uid: number): MessageState | undefined {
    return this.at(this.seqOf(uid));
  }

  /** Every listed message, in sequence order (made on demand: prefer uidAt for UIDs alone). */
  *messages(): Iterable<MessageState> {
    for (let seq = 1; seq <= this.view.length; seq++) yield this.at(seq)!;
  }

  isGone(uid: number): boolean {
    return this.gone.has(uid);
  }

  /** Listed messages not known to be expunged. */
  get present(): number {
    return this.view.length - this.gone.size;
  }

  /** The highest UID listed (what "*" means in a UID set), or 0 for an empty mailbox. */
  get maxUid(): number {
    return this.view.length ? this.view.uidAt(this.view.length - 1) : 0;
  }

  /** Records flags this session itself changed, so they are not reported back to it as news. */
  setFlags(uid: number, keywords: string[], modseq: number): void {
    if (this.seqOf(uid)) this.own.set(uid, { uid, keywords, modseq });
  }

  /** Records the modseqs of writes whose every result was given to setFlags. */
  wrote(modseqs: number[]): void {
    this.ownWrites.push(...modseqs);
  }

  /**
   * The modseqs of own writes, which the next catch-up need not read back; forgotten once taken.
   * Past a few hundred (a STORE that gave many messages different flags) reading back is cheaper
   * than a list that long, so none are given.
   */
  takeOwnWrites(): number[] {
    const out = this.ownWrites;
    this.ownWrites = [];
    return out.length <= MAX_SKIPPED_WRITES ? out : [];
  }

  /**
   * Folds in changes read from the store: `changed` are messages added or changed since
   * `this.modseq`; `present`, when given, is every UID still in the mailbox (needed only when
   * something was expunged). Returns what to tell the client, expunges only if allowed now.
   */
  apply(changed: MessageState[], present: Set<number> | null, modseq: number, uidNext: number, allowExpunge: boolean): MailboxUpdate[] {
    const out: MailboxUpdate[] = [];
    const view = this.view;
    if (present) {
      const before = this.gone.size;
      for (let i = 0; i < view.length; i++) if (!present.has(view.uidAt(i))) this.gone.add(view.uidAt(i));
      if (this.gone.size > before && this.heldModseq === null) this.heldModseq = this.modseq;
    }
    const expunged = allowExpunge && this.gone.size > 0 ? new Set(this.gone) : null;
    if (expunged) {
      // Highest first, so each reported number is still right when the client applies it.
      for (let i = view.length - 1; i >= 0; i--) if (expunged.has(view.uidAt(i))) out.push({ kind: 'expunge', seq: i + 1, uid: view.uidAt(i) });
      this.gone.clear();
      this.heldModseq = null;
    }
    // What changed for the client: flags of listed messages, and new messages.
    const flagged: number[] = [];
    let added = false;
    for (const c of changed) {
      const known = this.message(c.uid);
      if (known) {
        if (!sameKeywords(known.keywords, c.keywords) && !this.gone.has(c.uid) && !expunged?.has(c.uid)) flagged.push(c.uid);
      } else if (c.uid > this.maxUid) added = true;
    }
    const next = Math.max(this.modseq, modseq);
    // With no expunge held back, this session sees exactly the mailbox as of `next`: the view of
    // that modseq, if another session made it already, is this one's too.
    const canonical = this.gone.size === 0;
    const shared = canonical ? this.views.at(this.mailboxId, next) : null;
    if (shared) this.view = shared;
    else if (expunged || changed.length > 0 || this.own.size > 0 || next !== view.modseq) {
      const b = view.edit();
      for (const [uid, m] of this.own) {
        const i = b.indexOf(uid);
        if (i >= 0) b.set(i, m.keywords, m.modseq);
      }
      if (expunged) b.retain((uid) => !expunged.has(uid));
      for (const c of changed) {
        const i = b.indexOf(c.uid);
        if (i >= 0) {
          if (!this.gone.has(c.uid)) b.set(i, keywordList(c.keywords), c.modseq);
        } else if (c.uid > (b.length ? b.uidAt(b.length - 1) : 0)) b.push(c.uid, keywordList(c.keywords), c.modseq);
      }
      const built = b.build(next);
      this.view = canonical ? this.views.share(this.mailboxId, built) : built;
    }
    this.own.clear();
    for (const uid of flagged) {
      const seq = this.seqOf(uid);
      out.push({ kind: 'flags', seq, message: this.at(seq)! });
    }
    if (added) out.push({ kind: 'exists', count: this.view.length });
    this.modseq = next;
    this.uidNext = Math.max(this.uidNext, uidNext);
    return out;
  }
}
