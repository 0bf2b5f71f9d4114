// A worker thread does not get the TypeScript loader the main thread runs under: it registers
// it, then loads the thread's body.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
