import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtaSts, mxMatches, parsePolicy } from '../../../src/services/outbound/mta-sts.ts';
import { staticResolver } from '../../helpers/dns.ts';

test('a policy parses (RFC 8461 §3.2), several mx lines, max_age capped at a year', () => {
  const p = parsePolicy('version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com.\nmax_age: 999999999\n', 'abc');
  assert.deepEqual(p, { id: 'abc', mode: 'enforce', mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'], maxAge: 31_557_600 });
  assert.throws(() => parsePolicy('version: STSv2\nmode: enforce\nmx: a\nmax_age: 1', 'x'), /STSv1/);
  assert.throws(() => parsePolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 1', 'x'), /mode/);
  assert.throws(() => parsePolicy('version: STSv1\nmode: enforce\nmax_age: 1', 'x'), /no mx/);
  assert.throws(() => parsePolicy('version: STSv1\nmode: enforce\nmx: a\nmax_age: soon', 'x'), /max_age/);
});

test('mx patterns: exact names, and a wildcard matching exactly one leftmost label (§4.1)', () => {
  assert.ok(mxMatches('Mail.Example.com.', 'mail.example.com'));
  assert.ok(mxMatches('mx1.example.net', '*.example.net'));
  assert.ok(!mxMatches('a.b.example.net', '*.example.net'));
  assert.ok(!mxMatches('example.net', '*.example.net'));
  assert.ok(!mxMatches('evil-example.net', '*.example.net'));
});

test('discovery: no record means no policy; a changed id refetches; a failed fetch keeps the cached policy', async () => {
  let id = '1';
  let body = 'version: STSv1\nmode: testing\nmx: mx.a.test\nmax_age: 600\n';
  let fetches = 0;
  const records: Record<string, string[][]> = {};
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === '_mta-sts.a.test') return [[`v=STSv1; id=${id}`], ['unrelated']];
    return staticResolver(records)(name, type);
  };
  const sts = new MtaSts(resolver as never, async () => {
    fetches++;
    if (!body) throw new Error('HTTP 500');
    return body;
  });
  assert.deepEqual(await sts.policy('b.test'), { policy: null });
  assert.equal((await sts.policy('a.test')).policy?.mode, 'testing');
  assert.equal((await sts.policy('A.test')).policy?.mode, 'testing');
  assert.equal(fetches, 1);
  id = '2';
  body = 'version: STSv1\nmode: enforce\nmx: mx.a.test\nmax_age: 600\n';
  assert.equal((await sts.policy('a.test')).policy?.mode, 'enforce');
  id = '3';
  body = '';
  const kept = await sts.policy('a.test');
  assert.equal(kept.policy?.mode, 'enforce');
  assert.match(kept.error ?? '', /policy fetch failed: HTTP 500/);
});
