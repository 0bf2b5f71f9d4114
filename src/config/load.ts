import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { parse as parseToml } from 'smol-toml';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function envName(key: string): string {
  return 'GANNET_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed = extname(path) === '.toml' ? parseToml(text) : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid ${extname(path) === '.toml' ? 'TOML' : 'JSON'}: ${(err as Error).message}`);
  }
}

/** Environment values are strings; integer-typed keys are converted so validation can name them. */
function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[envName(key)];
    if (value === undefined) continue;
    out[key] = (schema as { type?: string }).type === 'integer' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  }
  return out;
}

export interface LoadOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<Config>;
}

/** File, then environment, then explicit overrides; defaults fill the rest; errors name the key. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.path ?? env.GANNET_CONFIG;
  const merged = { ...(path ? readFile(path) : {}), ...fromEnv(env), ...(opts.overrides ?? {}) };
  const withDefaults = Value.Default(ConfigSchema, structuredClone(merged));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 10).map((e) => {
      const key = e.path.replace(/^\//, '') || '(root)';
      if (e.type === ValueErrorType.ObjectAdditionalProperties) return `unknown key "${key}"`;
      return `"${key}" (${envName(key)}): ${e.message}; got ${JSON.stringify(e.value)}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = withDefaults as Config;
  config.dataDir = resolve(config.dataDir);
  return config;
}
