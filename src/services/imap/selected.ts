import type { Folder } from './folders.ts';

/** One message of the selected mailbox as this session last reported it. */
export interface MessageState {
  uid: number;
  /** Never mutated, only replaced: equal keyword lists are shared between messages (see keywordList). */
  keywords: string[];
  modseq: number;
}

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

/**
 * The selected mailbox as one session sees it: message sequence numbers are positions in its UID
 * list, which changes only when the session is told (RFC 9051 §7.5.1: an expunge is reported
 * only when the protocol allows it, so until then the gone message keeps its number).
 */
export class SelectedMailbox {
  // Ascending by UID; looked up by binary search. A session keeps one small object per message,
  // so an idle connection on a big mailbox stays cheap.
  private list: MessageState[];
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
    messages: MessageState[],
    modseq: number,
  ) {
    this.list = messages;
    this.modseq = modseq;
    this.uidNext = folder.row.uidnext;
  }

  get count(): number {
    return this.list.length;
  }

  get mailboxId(): string {
    return this.folder.id;
  }

  /** 1-based sequence number of a UID, or 0 when it is not (or no longer) listed. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.list[mid].uid;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  at(seq: number): MessageState | undefined {
    return this.list[seq - 1];
  }

  message(uid: number): MessageState | undefined {
    const seq = this.seqOf(uid);
    return seq ? this.list[seq - 1] : undefined;
  }

  messages(): readonly MessageState[] {
    return this.list;
  }

  isGone(uid: number): boolean {
    return this.gone.has(uid);
  }

  /** The highest UID listed (what "*" means in a UID set), or 0 for an empty mailbox. */
  get maxUid(): number {
    return this.list.length ? this.list[this.list.length - 1].uid : 0;
  }

  /** Records flags this session itself changed, so they are not reported back to it as news. */
  setFlags(uid: number, keywords: string[], modseq: number): void {
    const m = this.message(uid);
    if (!m) return;
    m.keywords = keywordList(keywords);
    m.modseq = modseq;
  }

  /**
   * Folds in changes read from the store: `changed` are messages added or changed since
   * `this.modseq`; `present`, when given, is every UID still in the mailbox (needed only when
   * something was expunged). Returns what to tell the client, expunges only if allowed now.
   */
  apply(changed: MessageState[], present: Set<number> | null, modseq: number, uidNext: number, allowExpunge: boolean): MailboxUpdate[] {
    const out: MailboxUpdate[] = [];
    if (present) {
      const before = this.gone.size;
      for (const m of this.list) if (!present.has(m.uid)) this.gone.add(m.uid);
      if (this.gone.size > before && this.heldModseq === null) this.heldModseq = this.modseq;
    }
    if (allowExpunge && this.gone.size > 0) {
      // Highest first, so each reported number is still right when the client applies it.
      for (let i = this.list.length - 1; i >= 0; i--) {
        const m = this.list[i];
        if (this.gone.has(m.uid)) out.push({ kind: 'expunge', seq: i + 1, uid: m.uid });
      }
      this.list = this.list.filter((m) => !this.gone.has(m.uid));
      this.gone.clear();
      this.heldModseq = null;
    }
    let added = false;
    for (const c of changed) {
      const known = this.message(c.uid);
      if (known) {
        if (known.keywords.join(' ') !== c.keywords.join(' ') && !this.gone.has(c.uid)) {
          known.keywords = keywordList(c.keywords);
          known.modseq = c.modseq;
          out.push({ kind: 'flags', seq: this.seqOf(c.uid), message: known });
        } else known.modseq = c.modseq;
      } else if (c.uid > this.maxUid) {
        this.list.push({ uid: c.uid, keywords: keywordList(c.keywords), modseq: c.modseq });
        added = true;
      }
    }
    if (added) out.push({ kind: 'exists', count: this.list.length });
    this.modseq = Math.max(this.modseq, modseq);
    this.uidNext = Math.max(this.uidNext, uidNext);
    return out;
  }
}
