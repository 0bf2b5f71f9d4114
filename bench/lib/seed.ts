import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseMessage } from '../../src/mime/index.ts';
import type { MimePart } from '../../src/mime/index.ts';
import type { IngestInput, IngestResult } from '../../src/services/delivery/ingest.ts';
import { CORPUS_DIR } from '../../test/helpers/corpus.ts';


// The 13 corpus files above this are attachment stress tests (up to 1.8 MB); at 100k copies they
// would turn a metadata benchmark into a disk-throughput one, so the mix keeps ~7 KB on average.
export const MAX_TEMPLATE_BYTES = 256 * 1024;

/**
 * Words whose selectivity is controlled: each appears only in the subjects the factory puts it
 * in (neither occurs anywhere in the corpus, nor in VOCABULARY), so a search for it returns a
 * known share of the mailbox.
 */
export const SEARCH_WORDS = {
  rare: { word: 'quokka', share: 0.01 },
  common: { word: 'marmalade', share: 0.1 },
} as const;

const UNSEEN_SHARE = 0.3;
const FLAGGED_SHARE = 0.03;
const REPLY_SHARE = 0.25;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

// Ordinary mail words; drawn with a skew so some are frequent and most are rare, like real text.
const VOCABULARY = [
  ...new Set(
    [
      'meeting invoice project report update schedule review budget proposal contract deadline agenda',
      'quarterly summary feedback draft release version server backup outage incident ticket customer',
      'order shipment delivery payment receipt account password security login request approval travel',
      'hotel flight conference workshop training webinar newsletter offer discount subscription renewal',
      'migration database storage network firewall certificate domain calendar invitation reminder',
      'lunch dinner weekend holiday birthday family photos garden kitchen bicycle football concert',
      'museum library recipe weather forecast harbour mountain river forest village station bridge',
      'tunnel analysis figures metrics dashboard roadmap milestone sprint backlog retrospective',
      'planning hiring interview candidate onboarding payroll expenses reimbursement audit compliance',
      'policy legal patent trademark license vendor supplier warehouse inventory logistics freight',
      'customs invoice estimate quote pricing catalogue brochure prototype sample testing results',
      'laboratory research grant funding donation volunteer charity community council election survey',
      'questionnaire petition announcement press interview article editorial magazine podcast video',
      'stream recording transcript minutes notes slides spreadsheet document archive folder attachment',
      'signature scanner printer laptop monitor keyboard charger battery repair warranty refund',
      'complaint support helpdesk maintenance upgrade patch vulnerability alert warning failure timeout',
      'latency throughput capacity cluster replica shard index query cache queue worker scheduler',
      'deployment rollback pipeline branch merge commit review approval sandbox staging production',
      'monitoring logging tracing',
    ]
      .join(' ')
      .split(' '),
  ),
];

/** Small, fast, seedable PRNG (mulberry32): runs over the same corpus seed the same mailbox. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Template {
  name: string;
  raw: Buffer;
  /** The top-level header block (latin1, so 8-bit bytes survive) minus the fields every copy replaces. */
  headers: string;
  /** Where the header block ends in raw (after the blank line, if any). */
  headerEnd: number;
  /** Offset in raw of the first plain-text body line, or -1 when no part can take an inserted line. */
  textAt: number;
  eol: string;
}

const REPLACED_FIELDS = new Set(['message-id', 'subject', 'date', 'in-reply-to', 'references']);

/** A header block (latin1) without the named fields (lower case), continuation lines included. */
export function stripFields(block: string, fields: ReadonlySet<string> = REPLACED_FIELDS): string {
  let out = '';
  let dropping = false;
  for (const line of block.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) out += line;
      continue;
    }
    const name = /^([^:\s]+)[ \t]*:/.exec(line)?.[1].toLowerCase();
    dropping = name !== undefined && fields.has(name);
    if (!dropping) out += line;
  }
  return out;
}

// Only parts whose bytes are the text itself can take an inserted ASCII line without corrupting
// them: base64 would stop decoding and UTF-16 would turn it into garbage.
const LINE_SAFE_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'quoted-printable']);

function firstLineSafeTextPart(part: MimePart): MimePart | null {
  if (part.type === 'text/plain') {
    const charset = (part.params.charset ?? '').toLowerCase();
    const ok = part.disposition !== 'attachment' && LINE_SAFE_ENCODINGS.has(part.encoding) && !/^(utf-?16|utf-?32|ucs)/.test(charset);
    return ok ? part : null;
  }
  // Text inside a forwarded message/rfc822 is not the message's own body text.
  if (!part.type.startsWith('multipart/')) return null;
  for (const child of part.children) {
    const found = firstLineSafeTextPart(child);
    if (found) return found;
  }
  return null;
}

export function makeTemplate(name: string, raw: Buffer): Template {
  const parsed = parseMessage(raw);
  const root = parsed.structure;
  const headerEnd = Math.min(Math.max(root.headerEnd, 0), raw.length);
  const block = raw.subarray(0, headerEnd).toString('latin1');
  const eol = block.includes('\r\n') || (block === '' && raw.includes('\r\n')) ? '\r\n' : '\n';
  const text = firstLineSafeTextPart(root);
  const textAt = text && text.bodyStart >= headerEnd && text.bodyStart <= raw.length ? text.bodyStart : -1;
  return { name, raw, headers: stripFields(block), headerEnd, textAt, eol };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every corpus message up to MAX_TEMPLATE_BYTES, analysed once so copies are cheap to make. */
export async function loadTemplates(dir = CORPUS_DIR, maxBytes = MAX_TEMPLATE_BYTES): Promise<Template[]> {
  const templates: Template[] = [];
  for (const path of await listFiles(dir)) {
    const raw = await readFile(path);
    if (raw.length === 0 || raw.length > maxBytes) continue;
    templates.push(makeTemplate(relative(dir, path), raw));
  }
  if (templates.length === 0) throw new Error(`no usable messages under ${dir}`);
  return templates;
}

export interface SeedMessage {
  raw: Buffer;
  receivedAt: number;
  keywords: string[];
}

/** What the factory put in: the ground truth the search results are checked against. */
export interface SeedTally {
  messages: number;
  bytes: number;
  rare: number;
  common: number;
  unseen: number;
  commonUnseen: number;
  rareUnseen: number;
  withBodyLine: number;
}

/**
 * Turns templates into distinct messages: a unique Message-ID, a Date near receivedAt (spread
 * over two years), a subject and a first body line of random vocabulary words (the search words
 * at their set shares), a quarter of them replies to recent ones so threads form, and 30% unseen.
 */
export class MessageFactory {
  readonly tally: SeedTally = { messages: 0, bytes: 0, rare: 0, common: 0, unseen: 0, commonUnseen: 0, rareUnseen: 0, withBodyLine: 0 };
  private readonly rnd: () => number;
  private readonly recentIds: string[] = [];
  private readonly now = Date.now();

  constructor(
    private readonly templates: Template[],
    seed = 1,
  ) {
    this.rnd = prng(seed);
  }

  private word(): string {
    // Squaring skews towards the front of the list: a few common words, a long tail.
    return VOCABULARY[Math.floor(this.rnd() ** 2 * VOCABULARY.length)];
  }

  private words(n: number): string[] {
    return Array.from({ length: n }, () => this.word());
  }

  next(): SeedMessage {
    const r = this.rnd;
    const n = this.tally.messages++;
    const t = this.templates[Math.floor(r() * this.templates.length)];
    const receivedAt = Math.floor(this.now - r() * TWO_YEARS_MS);
    const id = `${n.toString(36)}.${Math.floor(r() * 2 ** 40).toString(36)}@seed.bench.gannet`;

    const subjectWords = this.words(3 + Math.floor(r() * 3));
    const rare = r() < SEARCH_WORDS.rare.share;
    const common = r() < SEARCH_WORDS.common.share;
    if (rare) subjectWords.splice(Math.floor(r() * subjectWords.length), 0, SEARCH_WORDS.rare.word);
    if (common) subjectWords.splice(Math.floor(r() * subjectWords.length), 0, SEARCH_WORDS.common.word);
    const subject = subjectWords.join(' ');
    const parent = this.recentIds.length > 0 && r() < REPLY_SHARE ? this.recentIds[Math.floor(r() * this.recentIds.length)] : null;

    const eol = t.eol;
    let head = `Message-ID: <${id}>${eol}Date: ${new Date(receivedAt - Math.floor(r() * 300_000)).toUTCString()}${eol}`;
    head += parent ? `Subject: Re: ${subject}${eol}In-Reply-To: <${parent}>${eol}References: <${parent}>${eol}` : `Subject: ${subject}${eol}`;
    // A template with no header block (unparsable) still needs the blank line after ours.
    head += t.headerEnd === 0 ? eol : '';

    const chunks: Buffer[] = [Buffer.from(head + t.headers, 'latin1')];
    if (t.textAt >= 0) {
      chunks.push(t.raw.subarray(t.headerEnd, t.textAt), Buffer.from(this.words(8).join(' ') + eol, 'latin1'), t.raw.subarray(t.textAt));
      this.tally.withBodyLine++;
    } else {
      chunks.push(t.raw.subarray(t.headerEnd));
    }
    const raw = Buffer.concat(chunks);

    const unseen = r() < UNSEEN_SHARE;
    const keywords = unseen ? [] : ['$seen'];
    if (r() < FLAGGED_SHARE) keywords.push('$flagged');

    this.recentIds.push(id);
    if (this.recentIds.length > 2000) this.recentIds.shift();
    this.tally.bytes += raw.length;
    if (rare) this.tally.rare++;
    if (common) this.tally.common++;
    if (unseen) this.tally.unseen++;
    if (unseen && common) this.tally.commonUnseen++;
    if (unseen && rare) this.tally.rareUnseen++;
    return { raw, receivedAt, keywords };
  }
}

export interface Ingester {
  ingest(input: IngestInput, source?: string): Promise<IngestResult>;
}

export interface SeedOptions {
  /** Ingests in flight; group commit batches them, so this is also the most per transaction. */
  concurrency?: number;
  seed?: number;
  onProgress?: (done: number, elapsedMs: number) => void;
  progressEveryMs?: number;
}

export interface SeedResult {
  tally: SeedTally;
  elapsedMs: number;
  perSecond: number;
}

/** Fills one account's inbox with `count` messages through the real ingest pipeline. */
export async function seedInbox(ingester: Ingester, accountId: string, count: number, templates: Template[], opts: SeedOptions = {}): Promise<SeedResult> {
  const factory = new MessageFactory(templates, opts.seed ?? 1);
  const concurrency = Math.max(1, opts.concurrency ?? 64);
  const started = performance.now();
  let lastReport = started;
  let issued = 0;
  let done = 0;
  let failed: unknown = null;

  const worker = async () => {
    while (failed === null && issued < count) {
      issued++;
      const msg = factory.next();
      try {
        await ingester.ingest({ accountId, raw: msg.raw, role: 'inbox', receivedAt: msg.receivedAt, keywords: msg.keywords }, 'bench');
      } catch (err) {
        failed ??= err;
        return;
      }
      done++;
      const now = performance.now();
      if (opts.onProgress && now - lastReport >= (opts.progressEveryMs ?? 10_000)) {
        lastReport = now;
        opts.onProgress(done, now - started);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== null) throw failed;
  const elapsedMs = performance.now() - started;
  return { tally: factory.tally, elapsedMs, perSecond: count / (elapsedMs / 1000) };
}
