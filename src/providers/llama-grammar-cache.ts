import type { GbnfJsonSchema, Llama, LlamaGrammar } from 'node-llama-cpp';
import { toGrammarSchema } from './llama-grammar-schema.js';
import type { JsonSchema } from './types.js';

/** Top-level keywords node-llama-cpp's schema-to-grammar generator acts on. */
const CONSTRAINING_KEYWORDS = [
  'type',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'properties',
  'items',
  'prefixItems',
  '$ref',
];

/**
 * The grammars of the schemas seen, built once each: turning a schema into a
 * GBNF grammar and parsing it costs more than a short answer from a small
 * model. Bounded, least recently used first out, because inline schemas are
 * chosen by clients.
 *
 * The generator enforces the shape of the JSON (types, enums, consts, closed
 * objects, string and array lengths, `date-time`, `date` and `time` formats,
 * `$defs` references), and `toGrammarSchema` adds numeric bounds (as a grid
 * of values) and `anyOf`. It does not enforce `pattern`, other formats,
 * `allOf`, `not`, one-sided numeric bounds or `uniqueItems`. Decoded output
 * can therefore still fail the contract, and it is validated with Ajv
 * afterwards like any provider's. Every listed property is decoded, required
 * or not. A nested schema with none of the keywords it knows (`{}`) is
 * decoded as `null`; at the top level such a schema gets a generic JSON
 * object grammar.
 */
export class LlamaGrammarCache {
  readonly #llama: Llama;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Promise<LlamaGrammar>>();

  constructor(options: { llama: Llama; maxEntries?: number }) {
    this.#llama = options.llama;
    this.#maxEntries = options.maxEntries ?? 64;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The grammar for `schema`; rejects when the generator cannot take it. */
  get(schema: JsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    const cached = this.#entries.get(key);
    if (cached) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const created = this.#create(schema);
    // A schema the generator rejects is not remembered; the next try fails the same way.
    created.catch(() => this.#entries.delete(key));
    this.#entries.set(key, created);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return created;
  }

  async #create(schema: JsonSchema): Promise<LlamaGrammar> {
    if (schema === false) throw new Error('the schema `false` accepts no value at all');
    if (schema === true) return this.#llama.getGrammarFor('json');
    const grammarSchema = toGrammarSchema(schema);
    if (!CONSTRAINING_KEYWORDS.some((keyword) => keyword in grammarSchema)) {
      return this.#llama.getGrammarFor('json');
    }
    // Ajv has already accepted the schema; the generator reads the subset it knows.
    return this.#llama.createGrammarForJsonSchema<GbnfJsonSchema>(grammarSchema as GbnfJsonSchema);
  }
}
