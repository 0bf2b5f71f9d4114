import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discover, parseAutoconfig } from '../../../src/services/remote/discovery.ts';
import { keywordsFromFlags } from '../../../src/services/remote/imap/keywords.ts';
import { uidSet } from '../../../src/services/remote/imap/messages.ts';
import { SecretBox } from '../../../src/services/secrets/box.ts';

test('UID sets collapse runs, so 20,000 UIDs stay a short command', () => {
  assert.equal(uidSet([5, 1, 2, 3, 9, 10, 7]), '1:3,5,7,9:10');
  assert.equal(uidSet(Array.from({ length: 20_000 }, (_, i) => i + 1)), '1:20000');
  assert.equal(uidSet([]), '');
});

test('IMAP flags become keywords; \\Recent and flags no keyword can hold are dropped', () => {
  assert.deepEqual(keywordsFromFlags(['\\Seen', '\\Flagged', '\\Recent', '$Forwarded', 'Junk(1)', 'NonJunk']), ['$flagged', '$forwarded', '$seen', 'nonjunk']);
});

test('autoconfig: the first IMAP and SMTP servers, placeholders filled', () => {
  const xml = `<clientConfig version="1.1"><emailProvider id="example.net">
    <incomingServer type="pop3"><hostname>pop.example.net</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
    <incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
    <outgoingServer type="smtp"><hostname>smtp.example.net</hostname><port>587</port><socketType>STARTTLS</socketType></outgoingServer>
  </emailProvider></clientConfig>`;
  assert.deepEqual(parseAutoconfig(xml, 'ann@example.net'), { imap: { host: 'imap.example.net', port: 993, tls: 2 }, smtp: { host: 'smtp.example.net', port: 587, tls: 3 } });
  assert.equal(parseAutoconfig('<clientConfig/>', 'ann@example.net'), null);
});

test('discovery: RFC 6186 SRV records first (imaps before imap, "." is no service), then autoconfig', async () => {
  const records: Record<string, { name: string; port: number; priority: number; weight: number }[]> = {
    '_imaps._tcp.srv.test': [
      { name: 'backup.srv.test', port: 993, priority: 20, weight: 0 },
      { name: 'imap.srv.test.', port: 993, priority: 10, weight: 0 },
    ],
    '_submission._tcp.srv.test': [{ name: 'smtp.srv.test', port: 587, priority: 0, weight: 0 }],
    '_imaps._tcp.none.test': [{ name: '.', port: 0, priority: 0, weight: 0 }],
  };
  const srv = async (name: string) => records[name] ?? [];
  const opts = { autoconfigUrls: [], dnsServers: '' };
  assert.deepEqual(await discover('a@srv.test', opts, srv), { imap: { host: 'imap.srv.test', port: 993, tls: 2 }, smtp: { host: 'smtp.srv.test', port: 587, tls: 3 }, source: 'dns-srv' });
  assert.equal(await discover('a@none.test', opts, srv), null);
});

test('sealed secrets open only with the key that sealed them', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const box = new SecretBox(key, '/nonexistent');
  const sealed = box.seal('upstream password');
  assert.ok(!sealed.includes('upstream password'));
  assert.equal(box.open(sealed), 'upstream password');
  assert.throws(() => new SecretBox(Buffer.alloc(32, 8).toString('base64'), '/nonexistent').open(sealed), /cannot be opened with this server key/);
});
