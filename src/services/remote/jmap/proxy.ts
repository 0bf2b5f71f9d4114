import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import type { Principal } from '../../directory/pool.ts';
import { notFound, ServiceError } from '../../errors.ts';
import type { SecretBox } from '../../secrets/box.ts';
import { swapAccountId } from './account-ids.ts';
import { watchEventSource } from './events.ts';
import { fetchStreaming, fetchWhole, parseAnswer, readAtMost, upstreamDetail } from './http.ts';
import { fetchSession } from './session.ts';
import { authorization, type JmapSettings } from './settings.ts';

type Args = Record<string, unknown>;
export type Call = [name: string, args: Args, callId: string];

/** What Gannet's Session and request engine need to know of a proxied account. */
export type UpstreamAccount = Pick<JmapSettings, 'capabilities' | 'accountCapabilities' | 'maxCallsInRequest'>;

/** A Request for one proxied account, in Gannet's account ids. */
export interface ForwardRequest {
  using: string[];
  methodCalls: Call[];
  /** Every creation id known so far, so calls may name records made earlier in the request. */
  createdIds: Record<string, string>;
}

export interface ForwardResponse {
  methodResponses: Call[];
  createdIds: Record<string, string>;
}

const API_TIMEOUT_MS = 60_000;
// Blobs stream through, so this bounds the wait for the upstream's answer, not the transfer.
const BLOB_TIMEOUT_MS = 10 * 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
// An upload's answer, or a refused download's: a small JSON object or an error text.
const MAX_ANSWER_BYTES = 64 * 1024;
// A server whose Responses never match its Session's state is not refetched on every call.
const REFRESH_EVERY_MS = 60_000;
const CORE = 'urn:ietf:params:jmap:core';

const upstreamError = (message: string) => new ServiceError('upstream', message);
const isObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCall = (v: unknown): v is Call => Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && isObject(v[1]) && typeof v[2] === 'string';

/** Fills a download or upload URL template (RFC 6570 level 1, as RFC 8620 §2 uses it). */
const fill = (template: string, vars: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? encodeURIComponent(vars[name]) : m));

/**
 * Proxied JMAP accounts (DESIGN.md §6): method calls, uploads and downloads go to the upstream
 * server with the account id rewritten, under the credentials sealed with the account. Nothing
 * of a proxied account is stored locally but its settings.
 */
export class JmapProxy {
  /** When each account's Session was last refetched. */
  private readonly refreshed = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly log?: Logger,
  ) {}

  /** The proxied accounts of the principal's pool; no query at all for a pool without one. */
  async accounts(principal: Principal): Promise<Map<string, UpstreamAccount>> {
    const out = new Map<string, UpstreamAccount>();
    for (const a of principal.accounts) {
      if (a.kind !== 'jmap') continue;
      const row = await remoteRepo.account(this.store.db, a.id);
      if (row?.protocol !== 'jmap') continue;
      const { capabilities, accountCapabilities, maxCallsInRequest } = JSON.parse(row.settings_json) as JmapSettings;
      out.set(a.id, { capabilities, accountCapabilities, maxCallsInRequest });
    }
    return out;
  }

  /**
   * Runs method calls on the upstream server. A failure of the whole request throws:
   * 'unavailable' when the upstream cannot be reached or is failing, 'upstream' when it refuses.
   */
  async call(principal: Principal, accountId: string, request: ForwardRequest): Promise<ForwardResponse> {
    const { settings, auth } = await this.open(principal, accountId);
    const body = JSON.stringify({
      // The upstream refuses a whole request that uses a capability it lacks; without it, only
      // the calls that need it fail (unknownMethod).
      using: request.using.filter((u) => u === CORE || settings.capabilities.includes(u)),
      methodCalls: request.methodCalls.map(([name, args, id]) => [name, swapAccountId(args, accountId, settings.upstreamAccountId), id]),
      createdIds: request.createdIds,
    });
    const res = await fetchWhole(settings.apiUrl, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' }, body }, API_TIMEOUT_MS, MAX_RESPONSE_BYTES);
    if (res.status !== 200) throw this.failure(res.status, res.body, accountId);
    const value = parseAnswer(res.body, "the upstream JMAP server's answer");
    if (!isObject(value) || !Array.isArray(value.methodResponses) || !value.methodResponses.every(isCall)) throw upstreamError('the upstream JMAP server answered with something that is not a JMAP Response');
    if (typeof value.sessionState === 'string' && value.sessionState !== settings.sessionState) this.refresh(accountId);
    return {
      methodResponses: value.methodResponses.map(([name, args, id]) => [name, swapAccountId(args, settings.upstreamAccountId, accountId), id]),
      createdIds: isObject(value.createdIds) ? (Object.fromEntries(Object.entries(value.createdIds).filter((e) => typeof e[1] === 'string')) as Record<string, string>) : {},
    };
  }

  /** Streams a blob to the upstream (RFC 8620 §6.1); the caller bounds its size. */
  async upload(principal: Principal, accountId: string, content: Readable, type: string): Promise<{ accountId: string; blobId: string; size: number; type: string }> {
    const { settings, auth } = await this.open(principal, accountId);
    let res: Response;
    try {
      res = await fetchStreaming(
        fill(settings.uploadUrl, { accountId: settings.upstreamAccountId }),
        { method: 'POST', headers: { authorization: auth, 'content-type': type }, body: content as unknown as ReadableStream, duplex: 'half' } as RequestInit,
        BLOB_TIMEOUT_MS,
      );
    } catch (err) {
      // A body that failed on our side (over the size limit) is the client's error, not the upstream's.
      throw content.errored ?? err;
    }
    const body = await readAtMost(res, MAX_ANSWER_BYTES);
    if (res.status === 413) throw new ServiceError('tooLarge', `the upstream JMAP server refused the upload as too large: ${upstreamDetail(body)}`);
    if (res.status !== 200 && res.status !== 201) throw this.failure(res.status, body, accountId);
    const blob = parseAnswer(body, "the upstream JMAP server's answer to the upload");
    if (!isObject(blob) || typeof blob.blobId !== 'string' || typeof blob.size !== 'number') throw upstreamError('the upstream JMAP server answered the upload without a blobId and size');
    return { accountId, blobId: blob.blobId, size: blob.size, type: typeof blob.type === 'string' ? blob.type : type };
  }

  /** The blob as the upstream streams it (RFC 8620 §6.2), with its media type and size when given. */
  async download(principal: Principal, accountId: string, blobId: string, name: string, type: string | null): Promise<{ content: Readable; type: string | null; size: number | null }> {
    const { settings, auth } = await this.open(principal, accountId);
    const url = fill(settings.downloadUrl, { accountId: settings.upstreamAccountId, blobId, name, type: type ?? 'application/octet-stream' });
    const res = await fetchStreaming(url, { headers: { authorization: auth } }, BLOB_TIMEOUT_MS);
    if (res.status !== 200 || !res.body) {
      const body = await readAtMost(res, MAX_ANSWER_BYTES);
      if (res.status === 404) throw notFound(`blob ${blobId}`);
      throw this.failure(res.status, body, accountId);
    }
    // fetch decodes a content-encoding, after which the upstream's length is no longer the size.
    const length = res.headers.has('content-encoding') ? null : res.headers.get('content-length');
    const size = length !== null && /^\d{1,15}$/.test(length) ? Number(length) : null;
    return { content: Readable.fromWeb(res.body as never), type: res.headers.get('content-type'), size };
  }

  /**
   * Follows the upstream event source of each proxied account in the pool while a client's
   * push stream is open, and reports its StateChanges in Gannet's account ids: states stay the
   * upstream's, since every /changes call for the account goes there too. Returns stop().
   */
  async watch(principal: Principal, onChange: (accountId: string, states: Record<string, string>) => void): Promise<() => void> {
    const stops: (() => void)[] = [];
    for (const a of principal.accounts) {
      if (a.kind !== 'jmap') continue;
      const { settings, auth } = await this.open(principal, a.id).catch(() => ({ settings: null, auth: '' }));
      if (!settings) continue;
      if (!settings.eventSourceUrl) {
        // Stored before push was proxied: the next stream finds the URL.
        this.refresh(a.id);
        continue;
      }
      const upstreamId = settings.upstreamAccountId;
      stops.push(
        watchEventSource({ url: settings.eventSourceUrl, authorization: auth }, (changed) => {
          if (changed[upstreamId]) onChange(a.id, changed[upstreamId]);
        }, this.log),
      );
    }
    return () => stops.forEach((stop) => stop());
  }

  /** The account's settings and Authorization header, if it is a proxied account of this principal. */
  private async open(principal: Principal, accountId: string): Promise<{ settings: JmapSettings; auth: string }> {
    const inPool = principal.accounts.some((a) => a.id === accountId && a.kind === 'jmap');
    const row = inPool ? await remoteRepo.account(this.store.db, accountId) : undefined;
    if (!row || row.protocol !== 'jmap' || !row.secret) throw notFound(`account ${accountId}`);
    const settings = JSON.parse(row.settings_json) as JmapSettings;
    return { settings, auth: authorization(settings, this.box.open(row.secret)) };
  }

  private failure(status: number, body: Buffer, accountId: string): ServiceError {
    const detail = body.length ? `: ${upstreamDetail(body)}` : '';
    if (status === 401 || status === 403) return upstreamError(`the upstream JMAP server refused the credentials of account ${accountId} (HTTP ${status}${detail})`);
    // Too many requests at once, or the upstream failing: both pass with time.
    if (status === 429 || status >= 500 || /maxConcurrent/.test(detail)) return new ServiceError('unavailable', `the upstream JMAP server is failing (HTTP ${status}${detail})`);
    return upstreamError(`the upstream JMAP server refused the request (HTTP ${status}${detail})`);
  }

  /** The upstream Session changed (new URLs or capabilities): fetch it again, in the background. */
  private refresh(accountId: string): void {
    if (Date.now() - (this.refreshed.get(accountId) ?? 0) < REFRESH_EVERY_MS) return;
    this.refreshed.set(accountId, Date.now());
    void (async () => {
      const row = await remoteRepo.account(this.store.db, accountId);
      if (!row?.secret) return;
      const current = JSON.parse(row.settings_json) as JmapSettings;
      const facts = await fetchSession(current, this.box.open(row.secret));
      await remoteRepo.update(this.store.db, accountId, { settings_json: JSON.stringify({ ...current, ...facts }), updated_at: Date.now() });
    })().catch((err) => this.log?.warn({ err, accountId }, 'cannot refresh the upstream JMAP Session'));
  }
}
