/**
 * Browser mode: the built renderer and the whole API over HTTP + WebSocket, for a headless microscope PC, for
 * scripting from other languages, and for UI tests in a real browser.
 *
 *   GET  /api                 the method index
 *   GET  /api/<method>?a=1    call a method (query values are parsed as JSON where they can be)
 *   POST /api/<method>        call a method with a JSON body
 *   WS   /ws                  {id, method, payload} -> {id, response}; events arrive as {event, data}
 *
 * Every request needs the run's token. Bound to 127.0.0.1 unless told otherwise.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { HTTP_API_PREFIX, METHODS, WS_PATH, procedures } from '../../shared/api';
import type { ApiErrorShape, ApiResponse } from '../../shared/errors';
import type { Dispatch } from '../api/dispatch';
import type { EventBus } from '../events';
import { logger } from '../log';
import { authenticate, hostAllowed, newToken, originAllowed, TOKEN_COOKIE } from './auth';
import { serveStatic } from './static';

export interface BrowserServerOptions {
  dispatch: Dispatch;
  bus: EventBus;
  /** Folder of the built renderer; when null, only the API is served. */
  staticDir: string | null;
  host?: string;
  port?: number;
  token?: string;
}

export interface BrowserServer {
  url: string;
  /** The URL with the token, for the operator to open. */
  openUrl: string;
  token: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

const STATUS: Record<ApiErrorShape['code'], number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_METHOD: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CANCELLED: 409,
  NO_CONTENT: 422,
  FAILED: 422,
  DATASET: 422,
  MODEL: 422,
  HARDWARE: 503,
  INTERNAL: 500,
};

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const http = createServer((req, res) => {
    handleHttp(req, res, options, host, token).catch((err) => {
      logger.error({ err }, 'browser-mode request failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal server error' } });
      else res.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  http.on('upgrade', (req, socket, head) => {
    const url = requestUrl(req);
    const credential = authenticate(req, url, token);
    if (url.pathname !== WS_PATH || !hostAllowed(req, host) || !credential || !originAllowed(req, credential)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachSocket(ws, options));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    token,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections?.();
        http.close(() => resolve());
      }),
  };
}

async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  options: BrowserServerOptions,
  host: string,
  token: string,
): Promise<void> {
  setSecurityHeaders(res);
  const url = requestUrl(req);
  if (!hostAllowed(req, host)) {
    return sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message: 'Host not allowed' } });
  }
  const credential = authenticate(req, url, token);
  if (!credential || !originAllowed(req, credential)) {
    return sendJson(res, 401, {
      error: { code: 'UNAUTHORIZED', message: 'Missing or wrong access token: open the URL printed by `serve`' },
    });
  }

  if (url.pathname === '/api' || url.pathname === HTTP_API_PREFIX) {
    return sendJson(
      res,
      200,
      METHODS.map((m) => ({ method: m, summary: procedures[m].summary })),
    );
  }
  if (url.pathname.startsWith(HTTP_API_PREFIX)) {
    const method = decodeURIComponent(url.pathname.slice(HTTP_API_PREFIX.length));
    let payload: unknown;
    if (req.method === 'GET') payload = queryPayload(url);
    else if (req.method === 'POST') {
      const body = await readBody(req);
      if (body === null) {
        return sendJson(res, 413, { error: { code: 'INVALID_INPUT', message: 'Request body too large' } });
      }
      try {
        payload = body.length ? JSON.parse(body) : {};
      } catch {
        return sendJson(res, 400, { error: { code: 'INVALID_INPUT', message: 'Request body is not valid JSON' } });
      }
    } else {
      res.setHeader('Allow', 'GET, POST');
      return sendJson(res, 405, { error: { code: 'INVALID_INPUT', message: `Method ${req.method} not allowed` } });
    }
    const response = await options.dispatch(method, payload);
    return response.ok
      ? sendJson(res, 200, response.result)
      : sendJson(res, STATUS[response.error.code] ?? 500, { error: response.error });
  }

  if (credential === 'query' && (req.method === 'GET' || req.method === 'HEAD')) {
    // First visit with ?token=: keep it in a cookie and drop it from the address bar and history.
    res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    url.searchParams.delete('token');
    res.statusCode = 302;
    res.setHeader('Location', url.pathname + url.search);
    return void res.end();
  }
  if (!options.staticDir) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'No UI is served' } });
  return serveStatic(req, res, options.staticDir, url.pathname);
}

function attachSocket(ws: WebSocket, options: BrowserServerOptions): void {
  const unsubscribe = options.bus.subscribe((event) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  });
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
  ws.on('message', async (raw) => {
    let id: unknown = null;
    let response: ApiResponse;
    try {
      const msg = JSON.parse(String(raw)) as { id?: unknown; method?: unknown; payload?: unknown };
      id = typeof msg?.id === 'number' || typeof msg?.id === 'string' ? msg.id : null;
      response =
        typeof msg?.method === 'string'
          ? await options.dispatch(msg.method, msg.payload ?? {})
          : { ok: false, error: { code: 'INVALID_INPUT', message: 'A message needs {id, method, payload}' } };
    } catch {
      response = { ok: false, error: { code: 'INVALID_INPUT', message: 'Message is not valid JSON' } };
    }
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, response }));
  });
}

function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://localhost');
}

function queryPayload(url: URL): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) {
    if (k === 'token') continue;
    try {
      payload[k] = JSON.parse(v);
    } catch {
      payload[k] = v;
    }
  }
  return payload;
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}
