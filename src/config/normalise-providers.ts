import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import type { ProviderConfig } from './config-types.js';

/** A provider as written in YAML, after the configuration's schema passed it. */
export interface RawProvider {
  kind: 'openai' | 'anthropic' | 'llama';
  /** Present unless kind is llama (the schema says so). */
  base_url?: string;
  api_key?: string;
  forward_headers?: string[];
  json_schema?: boolean;
  timeouts?: { connect_ms?: number; first_byte_ms?: number; total_ms?: number };
  pool?: { connections?: number; keep_alive_timeout_ms?: number };
  model_path?: string;
  context_size_tokens?: number;
  threads?: number;
  sequences?: number;
}

/** Settings of an HTTP upstream that an in-process model has no use for. */
const HTTP_ONLY_KEYS = ['base_url', 'api_key', 'json_schema', 'pool', 'forward_headers'] as const;
const LLAMA_ONLY_KEYS = ['model_path', 'context_size_tokens', 'threads', 'sequences'] as const;

export function normaliseProviders(
  raw: Record<string, RawProvider>,
  baseDir: string,
): {
  providers: Record<string, ProviderConfig>;
  skipped: string[];
} {
  const providers: Record<string, ProviderConfig> = {};
  const skipped: string[] = [];
  for (const [name, p] of Object.entries(raw)) {
    checkKindKeys(name, p);
    checkForwardHeaders(name, p.forward_headers ?? []);
    // A key written but expanded to nothing means "not configured here".
    if (p.api_key !== undefined && p.api_key.trim() === '') {
      skipped.push(name);
    }
    providers[name] = {
      name,
      kind: p.kind,
      baseUrl: (p.base_url ?? '').replace(/\/+$/, ''),
      apiKey: p.api_key?.trim() || undefined,
      forwardHeaders: (p.forward_headers ?? []).map((h) => h.toLowerCase()),
      timeouts: {
        connectMs: p.timeouts?.connect_ms ?? 5_000,
        firstByteMs: p.timeouts?.first_byte_ms ?? 60_000,
        totalMs: p.timeouts?.total_ms ?? 120_000,
      },
      pool: {
        connections: p.pool?.connections ?? 100,
        keepAliveTimeoutMs: p.pool?.keep_alive_timeout_ms ?? 4_000,
      },
      jsonSchema: p.json_schema ?? p.kind === 'openai',
      ...(p.kind === 'llama' ? { llama: normaliseLlama({ name, raw: p, baseDir }) } : {}),
    };
  }
  return { providers, skipped };
}

/** An HTTP setting on a local model, or a model file on an HTTP upstream, is a mistake. */
function checkKindKeys(name: string, p: RawProvider): void {
  const llama = p.kind === 'llama';
  for (const key of llama ? HTTP_ONLY_KEYS : LLAMA_ONLY_KEYS) {
    if (p[key] === undefined) continue;
    throw new ConfigError(
      `providers.${name}.${key}`,
      llama
        ? 'is not used by kind llama (the model runs in-process)'
        : 'is only used by kind llama',
    );
  }
}

/**
 * The local model's settings. A relative `model_path` is read from the
 * configuration file's directory; a missing file stops start-up here rather
 * than when the model is loaded.
 */
function normaliseLlama(options: {
  name: string;
  raw: RawProvider;
  baseDir: string;
}): NonNullable<ProviderConfig['llama']> {
  const { name, raw, baseDir } = options;
  const modelPath = resolve(baseDir, raw.model_path ?? '');
  if (!isFile(modelPath)) {
    throw new ConfigError(`providers.${name}.model_path`, `no model file at ${modelPath}`);
  }
  return {
    modelPath,
    contextSizeTokens: raw.context_size_tokens ?? 4096,
    threads: raw.threads ?? 2,
    sequences: raw.sequences ?? 1,
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Headers that carry the caller's credentials for this gateway: passing
 * them on would hand a provider (or whatever `base_url` points at) the
 * client's Switchyard key.
 */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie']);

/** Headers that describe the client's own connection or body, not the request's meaning. */
const CONNECTION_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'content-type',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

function checkForwardHeaders(name: string, headers: readonly string[]): void {
  headers.forEach((header, index) => {
    const field = `providers.${name}.forward_headers[${index}]`;
    const lower = header.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(lower)) {
      throw new ConfigError(field, `"${header}" is not an HTTP header name`);
    }
    if (CREDENTIAL_HEADERS.has(lower)) {
      throw new ConfigError(
        field,
        `"${header}" carries the client's credentials and is never passed upstream`,
      );
    }
    if (CONNECTION_HEADERS.has(lower)) {
      throw new ConfigError(field, `"${header}" belongs to the client's own connection or body`);
    }
  });
}
