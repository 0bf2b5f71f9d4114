/** The buffers one after another in memory another thread can read without a copy of its own. */
export function sharedCopy(buffers: Uint8Array[]): SharedArrayBuffer {
  const data = new SharedArrayBuffer(buffers.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of buffers) {
    new Uint8Array(data, at, b.length).set(b);
    at += b.length;
  }
  return data;
}
