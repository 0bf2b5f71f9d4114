import type { Readable } from 'node:stream';
import type { IngestService } from '../delivery/ingest.ts';
import type { Principal } from '../directory/directory.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import type { MessageService } from '../mail/messages.ts';
import { exportAccount } from './export.ts';
import { importArchive, type ImportSummary } from './import.ts';
import { pdpaLimits, type PdpaLimits } from './limits.ts';

/** Personal Data Portability Archive export and import (draft-ietf-mailmaint-pdparchive), mail only. */
export class PdpaService {
  readonly limits: PdpaLimits;

  constructor(
    private readonly mailboxes: MailboxService,
    private readonly messages: MessageService,
    private readonly ingest: IngestService,
    private readonly hostname: string,
    maxMessageSize: number,
  ) {
    this.limits = pdpaLimits(maxMessageSize);
  }

  export(principal: Principal): Readable {
    return exportAccount({ mailboxes: this.mailboxes, messages: this.messages, hostname: this.hostname }, principal);
  }

  import(principal: Principal, body: Buffer, prefix?: string): Promise<ImportSummary> {
    return importArchive({ mailboxes: this.mailboxes, ingest: this.ingest, limits: this.limits }, principal, body, prefix);
  }
}
