import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import { sendJson } from '../server/error-response.js';
import { readJsonBody } from '../server/read-json-body.js';
import { toApiKeyView, type ApiKeyRecord, type ApiKeyView } from './api-key-record.js';
import { assertAdmin } from './admin-token.js';
import { parseKeyPatch, parseNewKeyInput } from './key-input.js';
import type { RequestAccess } from './request-access.js';

/** An endpoint as the gateway server mounts it; it throws `GatewayError` for the error shape. */
export type AdminRoute = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface AdminKeyRoutesOptions {
  access: RequestAccess;
  /** `admin.token`; undefined turns the admin API off (every route answers 404). */
  token: string | undefined;
  /** Tier names a key may be limited to (the configuration's tiers). */
  knownTiers: readonly string[];
  logger: Logger;
}

/** The path prefix of one key's routes; the server maps `METHOD /admin/keys/*` to them. */
export const ADMIN_KEY_PREFIX = '/admin/keys/';

const BODY_LIMIT_BYTES = 16 * 1024;
const KEY_ID = /^key_[0-9A-Za-z]{1,64}$/;

/**
 * The admin API of virtual keys, keyed `METHOD /path` for the gateway's
 * router, where `/*` stands for one more path segment (the key's id):
 *
 * - `POST /admin/keys`: create; the only answer that ever holds the key
 * - `GET /admin/keys`: list, revoked keys included
 * - `GET /admin/keys/{id}`: one key, with today's and this month's spend
 * - `PATCH /admin/keys/{id}`: change owner, tiers or budgets
 * - `DELETE /admin/keys/{id}`: revoke (keys are never deleted)
 *
 * Each checks `Authorization: Bearer <admin token>` first. Without a
 * configured token every route answers 404, and start-up says so.
 */
export function adminKeyRoutes(options: AdminKeyRoutesOptions): Record<string, AdminRoute> {
  const { access, token, knownTiers, logger } = options;
  if (token === undefined) {
    logger.warn('admin API disabled: admin.token is not set');
  }
  const guarded = (route: AdminRoute): AdminRoute =>
    async function admin(request, response) {
      assertAdmin(request, token);
      response.setHeader('cache-control', 'no-store');
      await route(request, response);
    };

  return {
    'POST /admin/keys': guarded(async function createKey(request, response) {
      const body = await readJsonBody(request, { limitBytes: BODY_LIMIT_BYTES });
      const input = parseNewKeyInput(body, { knownTiers });
      const { record, plaintext } = await access.keys.create(input);
      access.noteKeyCreated();
      logger.info(
        { api_key_id: record.id, owner: record.owner, display_prefix: record.displayPrefix },
        'API key created',
      );
      sendJson(response, {
        status: 201,
        body: Object.assign({}, toApiKeyView(record), { key: plaintext }),
      });
    }),
    'GET /admin/keys': guarded(async function listKeys(_request, response) {
      const keys = await access.keys.list();
      sendJson(response, { status: 200, body: { object: 'list', data: keys.map(toApiKeyView) } });
    }),
    'GET /admin/keys/*': guarded(async function showKey(request, response) {
      const record = await access.keys.get(keyIdOf(request));
      sendJson(response, { status: 200, body: await withUsage(access, record) });
    }),
    'PATCH /admin/keys/*': guarded(async function updateKey(request, response) {
      const id = keyIdOf(request);
      const body = await readJsonBody(request, { limitBytes: BODY_LIMIT_BYTES });
      const record = await access.keys.update(id, parseKeyPatch(body, { knownTiers }));
      logger.info({ api_key_id: id, fields: Object.keys(body) }, 'API key updated');
      sendJson(response, { status: 200, body: toApiKeyView(record) });
    }),
    'DELETE /admin/keys/*': guarded(async function revokeKey(request, response) {
      const record = await access.keys.revoke(keyIdOf(request));
      logger.info({ api_key_id: record.id }, 'API key revoked');
      sendJson(response, { status: 200, body: toApiKeyView(record) });
    }),
  };
}

/** A key as `GET /admin/keys/{id}` shows it: the view and its current spend. */
export interface ApiKeyWithUsage extends ApiKeyView {
  usage: {
    day: WindowView;
    month: WindowView;
  };
}

interface WindowView {
  window: string;
  limit_usd: number | null;
  spent_usd: number;
  reserved_usd: number;
  resets_at: string;
}

async function withUsage(access: RequestAccess, record: ApiKeyRecord): Promise<ApiKeyWithUsage> {
  const usage = await access.usage(record);
  const view = (figures: typeof usage.day): WindowView => ({
    window: figures.windowId,
    limit_usd: figures.limitUsd,
    spent_usd: figures.spentUsd,
    reserved_usd: figures.reservedUsd,
    resets_at: figures.resetsAt,
  });
  return Object.assign({}, toApiKeyView(record), {
    usage: { day: view(usage.day), month: view(usage.month) },
  });
}

/** The `{id}` of `/admin/keys/{id}`; an id that cannot exist answers 404 like a missing one. */
function keyIdOf(request: IncomingMessage): string {
  const path = (request.url ?? '').split('?')[0] ?? '';
  const raw = path.startsWith(ADMIN_KEY_PREFIX) ? path.slice(ADMIN_KEY_PREFIX.length) : '';
  if (KEY_ID.test(raw)) return raw;
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  throw new GatewayError('not_found', `id: no API key "${shown}"`, { details: { field: 'id' } });
}
