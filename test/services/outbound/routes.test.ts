import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { nextAttempt } from '../../../src/services/outbound/retry.ts';
import { parseHop, parseRelayRoutes, Router } from '../../../src/services/outbound/routes.ts';
import { staticResolver } from '../../helpers/dns.ts';

test('relay hops and routes parse, IPv6 in brackets; bad ones name the offending text', () => {
  assert.deepEqual(parseHop('smtp.example.net:587'), { host: 'smtp.example.net', port: 587 });
  assert.deepEqual(parseHop('[::1]:25'), { host: '::1', port: 25 });
  assert.throws(() => parseHop('smtp.example.net'), /"smtp.example.net" is not host:port/);
  assert.throws(() => parseHop('h:70000'), /not host:port/);
  const routes = parseRelayRoutes('Example.NET=127.0.0.1:2526, other.test=[::1]:25');
  assert.deepEqual([...routes], [['example.net', { host: '127.0.0.1', port: 2526 }], ['other.test', { host: '::1', port: 25 }]]);
  assert.throws(() => parseRelayRoutes('example.net'), /not domain=host:port/);
});

test('the config refuses malformed relay settings at start, naming the variable', () => {
  assert.throws(() => loadConfig({ env: { GANNET_RELAY_ROUTES: 'example.net=nohostport' }, overrides: {} }), /relayRoutes.*GANNET_RELAY_ROUTES/s);
  assert.throws(() => loadConfig({ env: { GANNET_RELAY_HOST: 'smarthost' }, overrides: {} }), /relayHost/);
  assert.equal(loadConfig({ env: { GANNET_RELAY_ROUTES: 'a.test=127.0.0.1:25,b.test=[::1]:2525' }, overrides: {} }).relayRoutes, 'a.test=127.0.0.1:25,b.test=[::1]:2525');
});

test('static routes win over the relay host, which wins over MX', async () => {
  const router = new Router({ relayHost: 'relay.test:2525', relayRoutes: 'special.test=10.0.0.1:25', dnsServers: '' });
  assert.deepEqual(await router.route('SPECIAL.test'), { hops: [{ host: '10.0.0.1', port: 25 }], via: 'static' });
  assert.deepEqual(await router.route('anything.test'), { hops: [{ host: 'relay.test', port: 2525 }], via: 'relay' });
});

test('retries back off 5 m, 10 m, 30 m, 1 h, 2 h, then every 4 h', () => {
  const minutes = [1, 2, 3, 4, 5, 6, 9].map((n) => nextAttempt(0, n) / 60_000);
  assert.deepEqual(minutes, [5, 10, 30, 60, 120, 240, 240]);
});

test('MX by preference on the configured port, null MX and NXDOMAIN are final, no MX is the implicit MX', async () => {
  const mx = (r: { exchange: string; priority: number }[]) => r as unknown as string[];
  const resolver = staticResolver({
    'MX two.test': mx([{ exchange: 'b.two.test.', priority: 20 }, { exchange: 'a.two.test', priority: 10 }]),
    'MX null.test': mx([{ exchange: '.', priority: 0 }]),
    'A bare.test': ['192.0.2.1'],
  });
  const router = new Router({ relayHost: '', relayRoutes: '', dnsServers: '' }, { resolver, mxPort: 2525 });
  assert.deepEqual(await router.route('two.test'), {
    hops: [{ host: 'a.two.test', port: 2525 }, { host: 'b.two.test', port: 2525 }],
    via: 'mx',
    mx: [{ host: 'a.two.test', preference: 10 }, { host: 'b.two.test', preference: 20 }],
  });
  assert.deepEqual(await router.route('null.test'), { permanent: 'null.test accepts no mail (null MX)', via: 'mx' });
  assert.deepEqual(await router.route('gone.test'), { permanent: 'gone.test does not exist', via: 'mx' });
  assert.deepEqual((await router.route('bare.test') as { hops: unknown }).hops, [{ host: 'bare.test', port: 2525 }]);
});
