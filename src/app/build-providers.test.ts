import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/config-types.js';
import { silentLogger } from '../logging/logger.js';
import { HttpPools } from '../providers/http-pool.js';
import { LlamaLoadError } from '../providers/llama-client.js';
import type { CompletionRequest } from '../providers/types.js';
import { REPO_ROOT } from '../test-support/gateway-harness.js';
import { loadProviders, type LoadedProviders } from './build-providers.js';
import { startGateway } from './start-gateway.js';

// CI runs in a fresh clone with the shared models directory beside it.
const MODEL_PATH = join(REPO_ROOT, '..', 'shared', 'models', 'llama-2-tiny-random.gguf');

/** An OpenAI-style provider in a cloud tier and a llama one, used by `localTier` or not. */
function configWith(options: { modelPath: string; localTier?: boolean }): GatewayConfig {
  const local = options.localTier === false ? '' : 'local: [{ provider: llama, model: tiny }]';
  const text = `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: http://127.0.0.1:9/v1, api_key: sk-test }
  llama: { kind: llama, model_path: ${options.modelPath}, context_size_tokens: 256, threads: 1 }
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
  ${local}
tier_order: [cheap]
${options.localTier === false ? '' : 'fallback_tier: local'}
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
`;
  return parseConfig(text, { env: {}, baseDir: REPO_ROOT, source: 'test' }).config;
}

/** A file that exists, so the configuration passes, but is no GGUF model. */
function notAModel(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'switchyard-llama-')), 'broken.gguf');
  writeFileSync(file, 'this is not a GGUF file');
  return file;
}

function request(): CompletionRequest {
  return {
    model: 'tiny',
    messages: [{ role: 'user', content: 'Hello' }],
    maxTokens: 4,
    timeouts: { connectMs: 1_000, firstByteMs: 10_000, totalMs: 10_000 },
    signal: new AbortController().signal,
  };
}

const missingPackage = () => Promise.reject(new Error("Cannot find package 'node-llama-cpp'"));

let pools: HttpPools;
let loaded: LoadedProviders | undefined;
afterEach(async () => {
  await loaded?.close();
  await pools?.close();
  loaded = undefined;
});

describe('loadProviders', () => {
  it('never imports node-llama-cpp for a llama provider no deployment uses', async () => {
    pools = new HttpPools();
    let imports = 0;
    const importLlama = () => {
      imports++;
      return missingPackage();
    };

    loaded = await loadProviders({
      config: configWith({ modelPath: notAModel(), localTier: false }),
      pools,
      now: Date.now,
      importLlama,
    });

    expect([...loaded.clients.keys()]).toEqual(['openai']);
    expect(imports).toBe(0);
  });

  it('says node-llama-cpp is missing when a used llama provider needs it', async () => {
    pools = new HttpPools();

    const loading = loadProviders({
      config: configWith({ modelPath: notAModel() }),
      pools,
      now: Date.now,
      importLlama: missingPackage,
    });

    await expect(loading).rejects.toBeInstanceOf(LlamaLoadError);
    await expect(loading).rejects.toMatchObject({
      code: 'llama_unavailable',
      message: expect.stringContaining('needs the optional package node-llama-cpp'),
    });
  });

  it.skipIf(!existsSync(MODEL_PATH))(
    `loads the model, serves from it, and frees it on close (needs ${MODEL_PATH})`,
    async () => {
      pools = new HttpPools();
      const providers = await loadProviders({
        config: configWith({ modelPath: MODEL_PATH }),
        pools,
        now: Date.now,
        logger: silentLogger(),
      });
      const llama = providers.clients.get('llama');

      const answer = await llama?.complete(request());
      await providers.close();
      const afterClose = await llama?.complete(request());

      expect(answer).toMatchObject({ kind: 'completion', finishReason: 'length' });
      expect(afterClose).toMatchObject({
        kind: 'failure',
        reason: 'connection',
        message: 'the llama provider was closed',
      });
    },
  );
});

describe('startGateway with a llama provider', () => {
  it('stops start-up naming the file when the model cannot be loaded', async () => {
    const modelPath = notAModel();

    const starting = startGateway({ config: configWith({ modelPath }), logger: silentLogger() });

    await expect(starting).rejects.toMatchObject({
      code: 'llama_model_load_failed',
      message: expect.stringContaining(`could not load the GGUF model ${modelPath}`),
    });
  });
});
