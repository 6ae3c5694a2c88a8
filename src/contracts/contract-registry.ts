import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/config-error.js';
import { GatewayError, invalidRequest } from '../errors/gateway-error.js';
import type { JsonSchema } from '../providers/types.js';
import {
  compileInlineSchema,
  compileSchema,
  type CompiledContract,
  type InlineContract,
} from './compile-schema.js';
import { guardInlineSchema, inlineSchemaText } from './inline-schema-guard.js';

const CONTRACT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const INLINE_CACHE_SIZE = 256;

/**
 * Named contracts from the contracts directory, compiled once at start-up,
 * and inline schemas compiled on first sight and kept by content hash, so no
 * request pays for schema compilation twice.
 */
export class ContractRegistry {
  readonly #named = new Map<string, CompiledContract>();
  readonly #inline = new Map<string, InlineContract>();

  /** Loads every `*.json`, `*.yaml` and `*.yml` file of `dir`; the file name is the contract name. */
  static fromDirectory(dir: string): ContractRegistry {
    const registry = new ContractRegistry();
    if (!existsSync(dir)) return registry;
    for (const file of readdirSync(dir).sort()) {
      const ext = extname(file);
      if (!['.json', '.yaml', '.yml'].includes(ext)) continue;
      const path = join(dir, file);
      const name = basename(file, ext);
      if (registry.#named.has(name)) {
        throw new ConfigError(
          'contracts_dir',
          `${path}: a contract named "${name}" is already loaded from another file`,
        );
      }
      // A contract that does not load is a configuration error naming its file.
      try {
        const text = readFileSync(path, 'utf8');
        const schema = (ext === '.json' ? JSON.parse(text) : parseYaml(text)) as JsonSchema;
        registry.add(name, schema);
      } catch (error) {
        throw new ConfigError('contracts_dir', `${path}: ${(error as Error).message}`);
      }
    }
    return registry;
  }

  add(name: string, schema: JsonSchema): CompiledContract {
    if (!CONTRACT_NAME.test(name)) throw new Error(`contract name "${name}" is not allowed`);
    const compiled = compileSchema(name, schema);
    this.#named.set(name, compiled);
    return compiled;
  }

  names(): string[] {
    return [...this.#named.keys()];
  }

  /** A named contract; 404 when there is none by that name. */
  get(name: string): CompiledContract {
    if (!CONTRACT_NAME.test(name)) {
      throw invalidRequest('contract', 'must match ^[A-Za-z0-9_-]{1,64}$');
    }
    const contract = this.#named.get(name);
    if (!contract) {
      throw new GatewayError('not_found', `contract: no contract named "${name}"`, {
        details: { field: 'contract' },
      });
    }
    return contract;
  }

  /**
   * An inline schema from a request; 400 naming `field` when Ajv rejects it,
   * when it nests too deep, or naming the keyword path when a pattern could
   * backtrack for exponential time (see `guardInlineSchema`).
   */
  inline(schema: unknown, field: string): CompiledContract {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw invalidRequest(field, 'must be a JSON Schema object');
    }
    const hash = createHash('sha256').update(inlineSchemaText(schema, field)).digest('hex');
    const cached = this.#inline.get(hash);
    if (cached) return cached;
    guardInlineSchema(schema, field);
    let compiled: InlineContract;
    try {
      compiled = compileInlineSchema(`inline_${hash.slice(0, 12)}`, schema as JsonSchema);
    } catch (error) {
      // Ajv's compiler recurses: `$ref`s that only lead to each other, or a
      // schema too intricate for it, overflow its stack.
      const why =
        error instanceof RangeError
          ? 'it is too intricate to compile (its $refs may lead to each other without end)'
          : (error as Error).message;
      throw invalidRequest(field, `is not a valid JSON Schema: ${why}`);
    }
    if (this.#inline.size >= INLINE_CACHE_SIZE) {
      // Drop the oldest entry (Map keeps insertion order) and free it in Ajv too.
      const [oldestHash, oldest] = this.#inline.entries().next().value!;
      this.#inline.delete(oldestHash);
      oldest.release();
    }
    this.#inline.set(hash, compiled);
    return compiled;
  }
}

/** A stable hash of a schema's content, for cache keys and audit records. */
export function schemaHash(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}
