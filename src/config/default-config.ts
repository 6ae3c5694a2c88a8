/**
 * The configuration Switchyard runs with when no file is given and no
 * `switchyard.yaml` sits in the working directory. With neither key set the
 * gateway falls back to demo mode (the built-in simulator serves every tier).
 * `switchyard.example.yaml` at the repository root is this same text.
 */
export const DEFAULT_CONFIG_YAML = `# Switchyard configuration. \${VAR} and \${VAR:-fallback} read the environment.
server:
  host: 127.0.0.1
  port: 8080
  body_limit_bytes: 1048576

# Where upstream calls go. A provider whose api_key expands to an empty string
# is left out, with its deployments. With none left, this configuration built
# into switchyard starts demo mode; the same text in a file refuses to start
# unless it says demo: auto (or demo: true, to always use the simulator).
providers:
  openai:
    kind: openai
    base_url: \${OPENAI_BASE_URL:-https://api.openai.com/v1}
    api_key: \${OPENAI_API_KEY}
  anthropic:
    kind: anthropic
    base_url: \${ANTHROPIC_BASE_URL:-https://api.anthropic.com}
    api_key: \${ANTHROPIC_API_KEY}

# Each tier is an ordered list of deployments; the first available one serves.
tiers:
  cheap:
    - { provider: openai, model: gpt-4o-mini-2024-07-18 }
    - { provider: anthropic, model: claude-3-5-haiku-20241022 }
  mid:
    - { provider: openai, model: gpt-4o-2024-08-06 }
    - { provider: anthropic, model: claude-sonnet-4-20250514 }
  heavy:
    - { provider: openai, model: o1-2024-12-17 }
    - { provider: anthropic, model: claude-opus-4-1-20250805 }

# Escalation goes from lighter to heavier tiers in this order.
tier_order: [cheap, mid, heavy]
default_tier: mid
task_types:
  classification: cheap
  extraction: mid
  reasoning: heavy

retry:
  max_retries: 2
  base_delay_ms: 500
  max_delay_ms: 8000

deadline_ms: 30000
max_output_tokens: 512
cost:
  max_cost_usd_per_request: 0.05

contracts_dir: ./contracts

# Shared state for replicas: with a URL, circuit breakers, rate-limit windows,
# budgets and the response cache live in Redis; empty keeps them in this process.
redis:
  url: \${REDIS_URL:-}

# Exact-match cache of validated answers: memory, or Redis when redis.url is set.
cache:
  enabled: true
  ttl_ms: 600000

# One row per request with its attempts; never prompt or output text unless
# include_text is true. An SQLite file here; PostgreSQL for replicas.
audit:
  backend: sqlite
  sqlite: { path: ./switchyard-audit.db }

# Virtual API keys, stored as hashes. While no key exists the gateway is open
# to every caller. The admin API (/admin/keys) needs a token of 16+ characters.
keys:
  store: sqlite
  sqlite_path: ./switchyard.db
admin:
  token: \${SWITCHYARD_ADMIN_TOKEN:-}
`;
