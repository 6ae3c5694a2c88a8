import { FEATURE_SECTIONS_SCHEMA } from './feature-sections.js';

/**
 * JSON Schema of the configuration file as written (snake_case YAML). Ajv
 * checks it at start-up; its errors are turned into key paths such as
 * `tiers.cheap[0].provider`.
 */
const timeouts = {
  type: 'object',
  additionalProperties: false,
  properties: {
    connect_ms: { type: 'integer', minimum: 1 },
    first_byte_ms: { type: 'integer', minimum: 1 },
    total_ms: { type: 'integer', minimum: 1 },
  },
};

const rate = { type: 'number', minimum: 0 };

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['providers', 'tiers'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        body_limit_bytes: { type: 'integer', minimum: 1 },
        region: { type: 'string', minLength: 1 },
      },
    },
    providers: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['kind'],
        properties: {
          kind: { enum: ['openai', 'anthropic', 'llama'] },
          base_url: { type: 'string', pattern: '^https?://' },
          api_key: { type: 'string' },
          forward_headers: { type: 'array', items: { type: 'string', minLength: 1 } },
          json_schema: { type: 'boolean' },
          timeouts,
          pool: {
            type: 'object',
            additionalProperties: false,
            properties: {
              connections: { type: 'integer', minimum: 1 },
              keep_alive_timeout_ms: { type: 'integer', minimum: 1 },
            },
          },
          // kind llama: a GGUF model run in-process by node-llama-cpp.
          model_path: { type: 'string', minLength: 1 },
          context_size_tokens: { type: 'integer', minimum: 64 },
          threads: { type: 'integer', minimum: 1, maximum: 256 },
          sequences: { type: 'integer', minimum: 1, maximum: 64 },
        },
        // Conditions on known kinds only, so a misspelt kind is reported as such.
        allOf: [
          {
            if: { required: ['kind'], properties: { kind: { const: 'llama' } } },
            then: { required: ['model_path'] },
          },
          {
            if: { required: ['kind'], properties: { kind: { enum: ['openai', 'anthropic'] } } },
            then: { required: ['base_url'] },
          },
        ],
      },
    },
    tiers: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['provider', 'model'],
          properties: {
            provider: { type: 'string', minLength: 1 },
            model: { type: 'string', minLength: 1 },
            context_window: { type: 'integer', minimum: 1 },
            max_prompt_tokens: { type: 'integer', minimum: 1 },
            cost_per_request_usd: { type: 'number', minimum: 0 },
          },
        },
      },
    },
    fallback_tier: { type: 'string', minLength: 1 },
    resilience: {
      type: 'object',
      additionalProperties: false,
      properties: {
        breaker: {
          type: 'object',
          additionalProperties: false,
          properties: {
            consecutive_failures: { type: 'integer', minimum: 1 },
            failure_rate_threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
            minimum_requests: { type: 'integer', minimum: 1 },
            window_ms: { type: 'integer', minimum: 1000 },
            cool_down_ms: { type: 'integer', minimum: 1 },
          },
        },
        min_remaining_tokens_fraction: { type: 'number', minimum: 0, maximum: 1 },
        max_in_flight_per_deployment: { type: 'integer', minimum: 0 },
        max_queued_per_deployment: { type: 'integer', minimum: 0 },
        queue_wait_ms: { type: 'integer', minimum: 0 },
      },
    },
    tier_order: { type: 'array', items: { type: 'string' }, minItems: 1 },
    default_tier: { type: 'string' },
    task_types: { type: 'object', additionalProperties: { type: 'string' } },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_retries: { type: 'integer', minimum: 0, maximum: 10 },
        base_delay_ms: { type: 'integer', minimum: 0 },
        max_delay_ms: { type: 'integer', minimum: 0 },
      },
    },
    // Node's timers hold at most 2^31 - 1 ms (24.8 days); a longer one fires at once.
    deadline_ms: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
    max_output_tokens: { type: 'integer', minimum: 1 },
    cost: {
      type: 'object',
      additionalProperties: false,
      properties: { max_cost_usd_per_request: { type: 'number', exclusiveMinimum: 0 } },
    },
    contracts_dir: { type: 'string', minLength: 1 },
    prices: {
      type: 'object',
      additionalProperties: false,
      properties: {
        as_of: { type: 'string' },
        models: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['input_per_million_usd', 'output_per_million_usd'],
            properties: {
              input_per_million_usd: rate,
              cached_input_per_million_usd: rate,
              cache_write_per_million_usd: rate,
              output_per_million_usd: rate,
              context_window: { type: 'integer', minimum: 1 },
              reasoning: { type: 'boolean' },
            },
          },
        },
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
      },
    },
    demo: { enum: ['auto', true, false] },
    ...FEATURE_SECTIONS_SCHEMA,
  },
} as const;
