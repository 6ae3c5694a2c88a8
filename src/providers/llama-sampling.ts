import type { LLamaChatGenerateResponseOptions } from 'node-llama-cpp';
import type { CompletionRequest } from './types.js';

/** The sampling options of one generation, in node-llama-cpp's names. */
export type LlamaSampling = Pick<
  LLamaChatGenerateResponseOptions,
  'temperature' | 'topP' | 'topK' | 'minP' | 'seed' | 'customStopTriggers'
>;

/**
 * OpenAI sampling parameters → node-llama-cpp's. Without a temperature the
 * decoding is greedy (temperature 0), which is what the gateway asks for on
 * structured output and makes a local model's answer repeatable. Penalties
 * (`frequency_penalty`, `presence_penalty`, `logit_bias`) are not mapped yet,
 * so a request that sets them is decoded as if it had not.
 */
export function toLlamaSampling(
  request: Pick<CompletionRequest, 'temperature' | 'sampling'>,
): LlamaSampling {
  const sampling = request.sampling ?? {};
  const sampled: LlamaSampling = { temperature: request.temperature ?? 0 };
  const topP = finiteNumber(sampling.top_p);
  if (topP !== undefined) sampled.topP = topP;
  const topK = finiteNumber(sampling.top_k);
  if (topK !== undefined) sampled.topK = topK;
  const minP = finiteNumber(sampling.min_p);
  if (minP !== undefined) sampled.minP = minP;
  const seed = finiteNumber(sampling.seed);
  if (seed !== undefined) sampled.seed = seed;
  const stop = stopStrings(sampling.stop);
  if (stop.length > 0) sampled.customStopTriggers = stop;
  return sampled;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** OpenAI's `stop` is a string or a list of them; empty strings never match. */
function stopStrings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string' && item !== '');
}
