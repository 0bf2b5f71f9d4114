import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePushKeys, encryptPush } from '../../../src/services/push/encrypt.ts';

const b64 = (s: string) => Buffer.from(s, 'base64url');

// RFC 8291 §5 / Appendix A: the worked example, byte for byte.
test('RFC 8291 example: the encrypted push message matches the RFC', () => {
  const out = encryptPush(
    Buffer.from('When I grow up, I want to be a watermelon'),
    { p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4', auth: 'BTBZMqHH6r4Tts7J_aSIgg' },
    { asPrivate: b64('yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw'), salt: b64('DGv6ra1nlYgDCS1FRnbzlw') },
  );
  assert.equal(
    out.toString('base64url'),
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
  );
});

test('keys that are not a P-256 point and a 16-byte secret are refused', () => {
  const auth = 'BTBZMqHH6r4Tts7J_aSIgg';
  assert.throws(() => decodePushKeys({ p256dh: 'AAAA', auth }), /p256dh must be an uncompressed P-256 public key/);
  const offCurve = Buffer.alloc(65, 1);
  offCurve[0] = 4;
  assert.throws(() => decodePushKeys({ p256dh: offCurve.toString('base64url'), auth }), /not a point on the P-256 curve/);
  assert.throws(() => decodePushKeys({ p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4', auth: 'AAAA' }), /auth must be 16 bytes/);
});
