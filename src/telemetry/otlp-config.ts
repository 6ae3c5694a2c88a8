/** Environment variables as `process.env` holds them; tests pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where one signal goes over OTLP/HTTP, when it is exported at all. */
export interface OtlpTarget {
  url: string;
  headers: Record<string, string>;
}

export interface OtlpConfig {
  traces: OtlpTarget | undefined;
  metrics: OtlpTarget | undefined;
  /** How often metrics are pushed; `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s. */
  metricIntervalMs: number;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const DEFAULT_METRIC_INTERVAL_MS = 60_000;

/**
 * Reads the standard `OTEL_*` variables. Export is off unless an OTLP
 * endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or the per-signal
 * `…_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`) or `OTEL_TRACES_EXPORTER` /
 * `OTEL_METRICS_EXPORTER` says `otlp`; `none` there, or `OTEL_SDK_DISABLED=true`,
 * switches it off again. A generic endpoint gets the signal's path appended,
 * a per-signal one is used as it is, as the specification says.
 *
 * Only OTLP over HTTP with JSON bodies is sent (the installed exporters);
 * `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` is not honoured, so a collector must
 * listen for OTLP/HTTP.
 */
export function resolveOtlpConfig(env: Env): OtlpConfig {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return {
    traces: disabled ? undefined : target(env, { signal: 'TRACES', path: '/v1/traces' }),
    metrics: disabled ? undefined : target(env, { signal: 'METRICS', path: '/v1/metrics' }),
    metricIntervalMs:
      Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_METRIC_INTERVAL_MS,
  };
}

function target(env: Env, options: { signal: 'TRACES' | 'METRICS'; path: string }) {
  const { signal, path } = options;
  const exporters = (env[`OTEL_${signal}_EXPORTER`] ?? '').split(',').map((s) => s.trim());
  if (exporters.includes('none')) return undefined;

  const perSignal = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let url: string | undefined;
  if (perSignal) url = perSignal;
  else if (generic) url = generic.replace(/\/+$/, '') + path;
  else if (exporters.includes('otlp')) url = DEFAULT_ENDPOINT + path;
  if (!url) return undefined;

  const headers = Object.assign(
    {},
    parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    parseHeaders(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]),
  );
  return { url, headers };
}

/** `key=value,key2=value2`, values percent-decoded, as the spec writes them. */
export function parseHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!raw) return headers;

  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue; // not a key=value pair: skipped, as other SDKs do
    const key = pair.slice(0, at).trim().toLowerCase();
    const value = pair.slice(at + 1).trim();
    try {
      headers[key] = decodeURIComponent(value);
    } catch {
      headers[key] = value;
    }
  }
  return headers;
}
