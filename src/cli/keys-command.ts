import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GatewayConfig } from '../config/config-types.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { GatewayError } from '../errors/gateway-error.js';
import { toApiKeyView, type ApiKeyRecord, type ApiKeyView } from '../keys/api-key-record.js';
import { parseKeyPatch, parseNewKeyInput } from '../keys/key-input.js';
import { KeyManager } from '../keys/key-manager.js';
import type { KeysConfig } from '../keys/keys-config.js';
import {
  keyStoreConfigFromUrl,
  openKeyStore,
  type KeyStoreConfig,
} from '../keys/open-key-store.js';
import type { CommandIo } from './report-command.js';

export const KEYS_USAGE = `Usage: switchyard keys <command> [options]

Commands:
  create --owner NAME [--tiers LIST] [--daily-usd N] [--monthly-usd N]
                       make a key; the key itself is printed this once only
  list                 every key, revoked ones included
  show ID              one key
  update ID [--owner NAME] [--tiers LIST|all] [--daily-usd N|none] [--monthly-usd N|none]
                       change the fields given; the others stay as they are
  revoke ID            refuse the key from its next request on

Options:
  --config FILE        the configuration whose keys.* store to use (as serve reads it)
  --store STORE        another store: sqlite:PATH, a file path, or a postgres:// URL
  --json               print JSON instead of text

LIST is comma-separated tier names (e.g. cheap,mid); "all" (the default) allows
every tier. Budgets are USD per UTC day and calendar month; "none" removes one.
`;

export interface KeysCommandOptions {
  /** Overrides `config.keys` (tests). */
  keys?: KeysConfig;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Epoch ms now, for creation and revocation times. */
  now?: () => number;
}

type Subcommand = 'create' | 'list' | 'show' | 'update' | 'revoke';
const SUBCOMMANDS: readonly string[] = ['create', 'list', 'show', 'update', 'revoke'];

interface KeysRequest {
  subcommand: Subcommand;
  id: string | undefined;
  /** The admin API's body shape, built from the flags. */
  body: Record<string, unknown>;
  json: boolean;
  configPath: string | undefined;
  storeUrl: string | undefined;
}

/** Flags named after the API fields they set, for messages the user can act on. */
const FLAG_OF_FIELD: Record<string, string> = {
  owner: '--owner',
  allowed_tiers: '--tiers',
  daily_budget_usd: '--daily-usd',
  monthly_budget_usd: '--monthly-usd',
};

/**
 * `switchyard keys`: the admin API's operations from a shell, on the store
 * the configuration names (the same one `serve` uses) or on `--store`.
 * Returns the exit code: 0 done, 1 no such key or the store failed, 2 bad
 * usage or an invalid configuration.
 */
export async function runKeysCommand(
  args: string[],
  io: CommandIo,
  options: KeysCommandOptions = {},
): Promise<number> {
  const request = parseKeysArgs(args, io);
  if (typeof request === 'number') return request;

  const cwd = options.cwd ?? process.cwd();
  let config: GatewayConfig;
  try {
    const loaded = loadConfig({
      ...(request.configPath ? { path: request.configPath } : {}),
      ...(options.env ? { env: options.env } : {}),
      cwd,
    });
    config = loaded.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`switchyard: invalid configuration: ${error.message}\n`);
    return 2;
  }
  const storeConfig = keyStoreOf({ request, keys: options.keys ?? config.keys, cwd });
  // Only `create` may make the SQLite file: the others read an empty store in
  // memory instead, so a mistyped path leaves no new database behind, and
  // `list` says there is no store there.
  let storeToOpen = storeConfig;
  if (
    request.subcommand !== 'create' &&
    storeConfig.kind === 'sqlite' &&
    storeConfig.path !== ':memory:' &&
    !existsSync(storeConfig.path)
  ) {
    if (request.subcommand === 'list') {
      io.stderr.write(`switchyard keys: no key store at ${storeConfig.path} yet\n`);
    }
    storeToOpen = { kind: 'sqlite', path: ':memory:' };
  }

  let store;
  try {
    store = await openKeyStore(storeToOpen);
  } catch (error) {
    io.stderr.write(`switchyard: cannot open the key store: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const manager = new KeyManager({ store, ...(options.now ? { now: options.now } : {}) });
    const knownTiers = Object.keys(config.tiers);
    return await perform({ request, manager, knownTiers, io });
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    await store.close();
  }
}

async function perform(options: {
  request: KeysRequest;
  manager: KeyManager;
  knownTiers: readonly string[];
  io: CommandIo;
}): Promise<number> {
  const { request, manager, knownTiers, io } = options;
  const id = request.id ?? '';
  switch (request.subcommand) {
    case 'create': {
      const { record, plaintext } = await manager.create(
        parseNewKeyInput(request.body, { knownTiers }),
      );
      if (request.json) {
        io.stdout.write(
          `${JSON.stringify({ ...toApiKeyView(record), key: plaintext }, null, 2)}\n`,
        );
      } else {
        io.stdout.write(`${describeKey(toApiKeyView(record))}\n`);
        io.stdout.write(`key: ${plaintext}\n`);
        io.stderr.write('This is the only time the key is shown; store it now.\n');
      }
      return 0;
    }
    case 'list': {
      const views = (await manager.list()).map(toApiKeyView);
      io.stdout.write(request.json ? `${JSON.stringify(views, null, 2)}\n` : renderTable(views));
      return 0;
    }
    case 'show':
      return printKey(io, await manager.get(id), request.json);
    case 'update':
      return printKey(
        io,
        await manager.update(id, parseKeyPatch(request.body, { knownTiers })),
        request.json,
      );
    case 'revoke':
      return printKey(io, await manager.revoke(id), request.json);
  }
}

/** `--store`, else the configuration's `keys` section (relative paths resolved beside it). */
function keyStoreOf(options: {
  request: KeysRequest;
  keys: KeysConfig;
  cwd: string;
}): KeyStoreConfig {
  const { request, keys, cwd } = options;
  if (request.storeUrl === undefined) return keys.store;

  const schema = keys.store.kind === 'postgres' ? keys.store.schema : 'switchyard_keys';
  const chosen = keyStoreConfigFromUrl(request.storeUrl, { schema });
  return chosen.kind === 'sqlite' ? { kind: 'sqlite', path: resolve(cwd, chosen.path) } : chosen;
}

/** The parsed arguments, or the exit code when they are wrong or ask for help. */
function parseKeysArgs(args: string[], io: CommandIo): KeysRequest | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        owner: { type: 'string' },
        tiers: { type: 'string' },
        'daily-usd': { type: 'string' },
        'monthly-usd': { type: 'string' },
        config: { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(KEYS_USAGE);
    return 0;
  }
  const [subcommand, id, ...extra] = positionals;
  if (subcommand === undefined) return usageError(io, 'name a command');
  if (!SUBCOMMANDS.includes(subcommand)) return usageError(io, `unknown command "${subcommand}"`);
  const needsId = subcommand === 'show' || subcommand === 'update' || subcommand === 'revoke';
  if (needsId && id === undefined) return usageError(io, `${subcommand} needs a key id`);
  if (!needsId && id !== undefined) return usageError(io, `unexpected argument "${id}"`);
  if (extra.length > 0) return usageError(io, `unexpected argument "${extra[0]}"`);
  const writes = subcommand === 'create' || subcommand === 'update';
  const fieldFlags = ['owner', 'tiers', 'daily-usd', 'monthly-usd'] as const;
  const stray = fieldFlags.find((flag) => values[flag] !== undefined);
  if (!writes && stray) return usageError(io, `--${stray} does not apply to ${subcommand}`);

  const body: Record<string, unknown> = {};
  if (values.owner !== undefined) body.owner = values.owner;
  if (values.tiers !== undefined) body.allowed_tiers = parseTierList(values.tiers);
  if (values['daily-usd'] !== undefined) body.daily_budget_usd = parseUsd(values['daily-usd']);
  if (values['monthly-usd'] !== undefined) {
    body.monthly_budget_usd = parseUsd(values['monthly-usd']);
  }
  if (subcommand === 'update' && Object.keys(body).length === 0) {
    return usageError(
      io,
      'update needs at least one of --owner, --tiers, --daily-usd, --monthly-usd',
    );
  }
  return {
    subcommand: subcommand as Subcommand,
    id,
    body,
    json: values.json,
    configPath: values.config,
    storeUrl: values.store,
  };
}

/** `cheap,mid` → `["cheap", "mid"]`; `all` (or nothing) → `[]`, which allows every tier. */
function parseTierList(text: string): string[] {
  if (text.trim() === '' || text.trim() === 'all') return [];
  return text.split(',').map((tier) => tier.trim());
}

/** A number of USD, `none` for no limit (null), or NaN for the validator to refuse. */
function parseUsd(text: string): number | null {
  if (text.trim() === 'none') return null;
  return text.trim() === '' ? Number.NaN : Number(text);
}

function printKey(io: CommandIo, record: ApiKeyRecord, json: boolean): number {
  const view = toApiKeyView(record);
  io.stdout.write(json ? `${JSON.stringify(view, null, 2)}\n` : `${describeKey(view)}\n`);
  return 0;
}

function describeKey(view: ApiKeyView): string {
  return [
    `id:           ${view.id}`,
    `prefix:       ${view.display_prefix}`,
    `owner:        ${view.owner}`,
    `tiers:        ${tiersText(view)}`,
    `daily USD:    ${budgetText(view.daily_budget_usd)}`,
    `monthly USD:  ${budgetText(view.monthly_budget_usd)}`,
    `created:      ${view.created_at}`,
    `status:       ${view.status}${view.revoked_at ? ` (${view.revoked_at})` : ''}`,
  ].join('\n');
}

function renderTable(views: ApiKeyView[]): string {
  if (views.length === 0)
    return 'No API keys. Create one with: switchyard keys create --owner NAME\n';
  const header = ['ID', 'PREFIX', 'OWNER', 'TIERS', 'DAILY USD', 'MONTHLY USD', 'STATUS'];
  const rows = views.map((view) => [
    view.id,
    view.display_prefix,
    view.owner,
    tiersText(view),
    budgetText(view.daily_budget_usd),
    budgetText(view.monthly_budget_usd),
    view.status,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

function tiersText(view: ApiKeyView): string {
  return view.allowed_tiers.length === 0 ? 'all' : view.allowed_tiers.join(',');
}

function budgetText(usd: number | null): string {
  return usd === null ? 'none' : String(usd);
}

/** A validation error names the flag; a missing key or a store failure exits 1. */
function reportFailure(error: unknown, io: CommandIo): number {
  if (error instanceof GatewayError && error.type === 'invalid_request') {
    const field = String(error.details['field'] ?? '');
    const base = field.replace(/\[\d+\]$/, '');
    const flag = FLAG_OF_FIELD[base];
    // The API's words for the CLI's: a flag for the field, `none` for null.
    const message = flag
      ? error.message.replace(`${field}:`, `${flag}:`).replace('or null for', 'or none for')
      : error.message;
    return usageError(io, message);
  }
  if (error instanceof GatewayError && (error.type === 'not_found' || error.type === 'conflict')) {
    io.stderr.write(`switchyard keys: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(`switchyard keys: the key store failed: ${(error as Error).message}\n`);
  return 1;
}

function usageError(io: CommandIo, message: string): number {
  io.stderr.write(`switchyard keys: ${message}\n\n${KEYS_USAGE}`);
  return 2;
}
