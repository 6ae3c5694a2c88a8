import { parseArgs } from 'node:util';
import type { AuditConfig } from '../audit/audit-config.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load-config.js';
import { parseRfc3339Ms } from '../resilience/rfc3339.js';
import { utcMs } from '../resilience/utc-time.js';
import { buildCostReport, heavyModelOf } from '../report/cost-report.js';
import { openAuditReader } from '../report/open-audit-reader.js';
import { renderReportCsv, renderReportTable } from '../report/render-report.js';
import type { ReportConfig } from '../report/report-config.js';

export const REPORT_USAGE = `Usage: switchyard report --from DATE --to DATE [--format table|json|csv] [--config FILE]

Reads the audit log the configuration names (audit.backend) and prints requests,
tokens and cost per tier, model and task type, the fallback and cache-hit rates,
the saving against sending every request to the heavy tier, and the month's cost
with report.monthly_fixed_costs_usd amortised per request.

DATE is YYYY-MM-DD (UTC; --to includes that whole day) or an RFC 3339 timestamp
such as 2025-03-01T00:00:00Z (--to excludes that instant).
`;

/** Where the command writes; the CLI passes process.stdout and process.stderr. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface ReportCommandOptions {
  /** Overrides `config.audit` (tests). */
  audit?: AuditConfig;
  /** Overrides `config.report`. */
  report?: ReportConfig;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

type Format = 'table' | 'json' | 'csv';

/**
 * `switchyard report`. Returns the exit code: 0 printed, 1 the audit log
 * could not be read, 2 bad usage or an invalid configuration.
 */
export async function runReportCommand(
  args: string[],
  io: CommandIo,
  options: ReportCommandOptions = {},
): Promise<number> {
  const request = parseReportArgs(args, io);
  if (typeof request === 'number') return request;

  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({
      ...(request.configPath ? { path: request.configPath } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`switchyard: invalid configuration: ${error.message}\n`);
    return 2;
  }
  const { config } = loaded;
  const audit = options.audit ?? config.audit;
  const fixed = (options.report ?? config.report).monthlyFixedCostsUsd;

  try {
    const reader = openAuditReader(audit);
    try {
      const aggregates = await reader.aggregate({ fromMs: request.fromMs, toMs: request.toMs });
      const report = buildCostReport({
        aggregates,
        fromMs: request.fromMs,
        toMs: request.toMs,
        prices: config.prices.models,
        tierOrder: config.tierOrder,
        heavyModel: heavyModelOf(config),
        monthlyFixedCostsUsd: fixed,
      });
      if (request.format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (request.format === 'csv') io.stdout.write(renderReportCsv(report));
      else io.stdout.write(renderReportTable(report));
    } finally {
      await reader.close();
    }
  } catch (error) {
    io.stderr.write(`switchyard: cannot read the audit log: ${(error as Error).message}\n`);
    return 1;
  }
  return 0;
}

interface ReportRequest {
  fromMs: number;
  toMs: number;
  format: Format;
  configPath: string | undefined;
}

/** The parsed arguments, or the exit code when they are wrong or ask for help. */
function parseReportArgs(args: string[], io: CommandIo): ReportRequest | number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string', default: 'table' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  if (values.help) {
    io.stdout.write(REPORT_USAGE);
    return 0;
  }
  if (!values.from || !values.to) return usageError(io, '--from and --to are required');
  const fromMs = parseReportDate(values.from, { end: false });
  if (fromMs === undefined) return usageError(io, `--from: not a date: "${values.from}"`);
  const toMs = parseReportDate(values.to, { end: true });
  if (toMs === undefined) return usageError(io, `--to: not a date: "${values.to}"`);
  if (toMs <= fromMs) return usageError(io, '--to must be after --from');
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv') {
    return usageError(io, `--format must be table, json or csv, got "${format}"`);
  }
  return { fromMs, toMs, format, configPath: values.config };
}

/**
 * `YYYY-MM-DD` is a UTC day: its start for `--from`, the next day's start
 * for `--to`, so `--to 2025-03-31` includes March 31. A timestamp is taken
 * as written.
 */
export function parseReportDate(text: string, options: { end: boolean }): number | undefined {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!day) return parseRfc3339Ms(text);
  const startMs = utcMs({
    year: Number(day[1]),
    month: Number(day[2]),
    day: Number(day[3]),
    hour: 0,
    minute: 0,
    second: 0,
  });
  if (startMs === undefined) return undefined;
  return options.end ? startMs + 86_400_000 : startMs;
}

function usageError(io: CommandIo, message: string): number {
  io.stderr.write(`switchyard report: ${message}\n\n${REPORT_USAGE}`);
  return 2;
}
