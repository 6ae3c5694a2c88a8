import type {
  ChatWrapper,
  Llama,
  LlamaChat,
  LlamaContext,
  LlamaContextSequence,
  LlamaLogLevel,
  LlamaModel,
} from 'node-llama-cpp';
import type { Logger } from '../logging/logger.js';

/** The node-llama-cpp module, loaded on demand. */
export type NodeLlamaCpp = typeof import('node-llama-cpp');

/** One context sequence and the chat that decodes on it. */
export interface LlamaSlot {
  sequence: LlamaContextSequence;
  chat: LlamaChat;
}

/** Everything one loaded GGUF model holds, freed by `disposeLlamaRuntime`. */
export interface LlamaRuntime {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Renders a chat in the model's prompt format; shared by every slot. */
  chatWrapper: ChatWrapper;
  slots: LlamaSlot[];
  /** Tokens each sequence holds, prompt and answer together. */
  contextSizeTokens: number;
}

export interface LoadLlamaRuntimeOptions {
  modelPath: string;
  /** Asked for; capped at the size the model was trained with. */
  contextSizeTokens: number;
  threads: number;
  sequences: number;
  logger?: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  /** Loads node-llama-cpp; tests replace it to play a machine without it. */
  importModule?: () => Promise<NodeLlamaCpp>;
}

export type LlamaLoadErrorCode = 'llama_unavailable' | 'llama_model_load_failed';

/** Start-up could not give the llama provider a model; the message says why. */
export class LlamaLoadError extends Error {
  readonly code: LlamaLoadErrorCode;

  constructor(code: LlamaLoadErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'LlamaLoadError';
    this.code = code;
  }
}

/**
 * Loads llama.cpp on the CPU, then the model, then one context with
 * `sequences` sequences. Never builds llama.cpp from source and never
 * downloads anything: without node-llama-cpp or its prebuilt binary it throws
 * a `LlamaLoadError` saying so. GPU offload is off because the local tier is a
 * fallback meant to work on any host the gateway runs on.
 */
export async function loadLlamaRuntime(options: LoadLlamaRuntimeOptions): Promise<LlamaRuntime> {
  const lib = await importNodeLlamaCpp(options.importModule);
  const llama = await startLlama(lib, options);
  try {
    const model = await loadModel(llama, options.modelPath);
    const contextSizeTokens = Math.min(options.contextSizeTokens, model.trainContextSize);
    const context = await model.createContext({
      contextSize: contextSizeTokens,
      sequences: options.sequences,
      threads: options.threads,
    });
    const first = new lib.LlamaChat({ contextSequence: context.getSequence() });
    const chatWrapper = first.chatWrapper;
    const slots: LlamaSlot[] = [{ sequence: first.sequence, chat: first }];
    while (context.sequencesLeft > 0) {
      const chat = new lib.LlamaChat({ contextSequence: context.getSequence(), chatWrapper });
      slots.push({ sequence: chat.sequence, chat });
    }
    return { lib, llama, model, context, chatWrapper, slots, contextSizeTokens };
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}

/** Frees the chats, the context, the model and llama.cpp, in that order. */
export async function disposeLlamaRuntime(runtime: LlamaRuntime): Promise<void> {
  for (const slot of runtime.slots) slot.chat.dispose({ disposeSequence: true });
  await runtime.context.dispose();
  await runtime.model.dispose();
  await runtime.llama.dispose();
}

async function importNodeLlamaCpp(
  importModule: (() => Promise<NodeLlamaCpp>) | undefined,
): Promise<NodeLlamaCpp> {
  try {
    return await (importModule ?? (() => import('node-llama-cpp')))();
  } catch (error) {
    throw new LlamaLoadError(
      'llama_unavailable',
      'the llama provider needs the optional package node-llama-cpp, which could not be ' +
        `loaded (${errorMessage(error)}); install it with \`npm install node-llama-cpp\` ` +
        'or remove the llama provider from the configuration',
      { cause: error },
    );
  }
}

async function startLlama(lib: NodeLlamaCpp, options: LoadLlamaRuntimeOptions): Promise<Llama> {
  const { logger } = options;
  try {
    return await lib.getLlama({
      gpu: false,
      // Building from source would download llama.cpp and need a toolchain.
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      maxThreads: options.threads,
      logLevel: lib.LlamaLogLevel.warn,
      // Without a logger node-llama-cpp writes to the console.
      logger: (level, message) => logLlama({ logger, level, message }),
    });
  } catch (error) {
    throw new LlamaLoadError(
      'llama_unavailable',
      `node-llama-cpp could not start llama.cpp on the CPU: ${errorMessage(error)}; ` +
        'the prebuilt binary for this platform may be missing',
      { cause: error },
    );
  }
}

async function loadModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath, gpuLayers: 0 });
  } catch (error) {
    throw new LlamaLoadError(
      'llama_model_load_failed',
      `could not load the GGUF model ${modelPath}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

function logLlama(options: {
  logger: LoadLlamaRuntimeOptions['logger'];
  level: LlamaLogLevel;
  message: string;
}): void {
  const { logger } = options;
  const level: string = options.level;
  const message = options.message.trim();
  if (!logger || message === '') return;
  const fields = { component: 'llama.cpp' };
  if (level === 'fatal' || level === 'error') logger.error(fields, message);
  else if (level === 'warn') logger.warn(fields, message);
  else if (level === 'info') logger.info(fields, message);
  else logger.debug(fields, message);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
