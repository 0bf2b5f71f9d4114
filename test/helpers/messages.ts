/** Small, valid RFC 5322 messages for tests. */
export function simpleMessage(
  opts: { from?: string; to?: string; subject?: string; body?: string; messageId?: string; inReplyTo?: string; date?: string; headers?: string[] } = {},
): Buffer {
  const lines = [
    `From: ${opts.from ?? 'Bob Sender <bob@remote.test>'}`,
    `To: ${opts.to ?? 'alice@example.test'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    `Date: ${opts.date ?? 'Fri, 20 Nov 2026 10:00:00 +0000'}`,
    `Message-ID: <${opts.messageId ?? `${Math.random().toString(36).slice(2)}@remote.test`}>`,
  ];
  if (opts.inReplyTo) lines.push(`In-Reply-To: <${opts.inReplyTo}>`, `References: <${opts.inReplyTo}>`);
  lines.push(...(opts.headers ?? []));
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', opts.body ?? 'Hello Alice.', '');
  return Buffer.from(lines.join('\r\n'));
}

export function messageWithAttachment(): Buffer {
  return Buffer.from(
    [
      'From: Carol <carol@remote.test>',
      'To: alice@example.test',
      'Subject: =?UTF-8?Q?Rapport_=C3=A9t=C3=A9?=',
      'Message-ID: <att-1@remote.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>See the <b>quarterly</b> figures.</p>',
      '--b1',
      'Content-Type: application/pdf; name="r.pdf"',
      'Content-Disposition: attachment; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake pdf bytes').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}
