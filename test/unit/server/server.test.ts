import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../src/main/server/server';
import { createServices, type Services } from '../../../src/main/services/container';

let services: Services;
let server: BrowserServer;

beforeAll(async () => {
  services = await createServices({ frontDoor: 'browser' });
  server = await startBrowserServer({ dispatch: services.dispatch, bus: services.bus, staticDir: null, port: 0 });
});
afterAll(async () => {
  await server.close();
  await services.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (init.body) req.write(init.body);
    req.end();
  });
}

const bearer = () => ({ Authorization: `Bearer ${server.token}` });

describe('browser-mode server', () => {
  it('prints a URL with a random token and binds to 127.0.0.1', async () => {
    expect(server.openUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    expect(server.host).toBe('127.0.0.1');
    const other = await startBrowserServer({
      dispatch: services.dispatch,
      bus: services.bus,
      staticDir: null,
      port: 0,
    });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('is not reachable on a non-loopback address', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) {
      // No non-loopback interface on this machine: nothing else could reach the server anyway.
      expect(server.host).toBe('127.0.0.1');
      return;
    }
    const outcome = await new Promise<string>((resolve) => {
      const sock = connect({ host: external.address, port: server.port });
      sock.once('connect', () => {
        sock.destroy();
        resolve('connected');
      });
      sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });

  it('GET /api/info: 401 without the token, 200 with it (Bearer or ?token=)', async () => {
    const none = await call('/api/info');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('UNAUTHORIZED');
    expect((await call('/api/info', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call('/api/info?token=wrong')).status).toBe(401);
    const ok = await call('/api/info', { headers: bearer() });
    expect(ok.status).toBe(200);
    const info = JSON.parse(ok.body);
    expect(info.app.name).toBe('focus-station');
    expect(info.frontDoor).toBe('browser');
    expect((await call(`/api/info?token=${server.token}`)).status).toBe(200);
  });

  it('also refuses static files and the method index without the token', async () => {
    expect((await call('/')).status).toBe(401);
    expect((await call('/api')).status).toBe(401);
    const index = await call('/api', { headers: bearer() });
    expect(JSON.parse(index.body).map((m: { method: string }) => m.method)).toContain('stage.jog');
  });

  it('rejects a foreign Host header (DNS rebinding)', async () => {
    const r = await call('/api/info', { headers: { ...bearer(), Host: 'evil.example:80' } });
    expect(r.status).toBe(403);
  });

  it('answers malformed requests with clear 4xx errors', async () => {
    const badJson = await call('/api/stage.jog', { method: 'POST', headers: bearer(), body: '{oops' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).error.message).toMatch(/not valid JSON/);
    const badShape = await call('/api/stage.jog', { method: 'POST', headers: bearer(), body: '{"deltaUm":"up"}' });
    expect(badShape.status).toBe(400);
    expect(JSON.parse(badShape.body).error.code).toBe('INVALID_INPUT');
    const unknown = await call('/api/stage.warp', { method: 'POST', headers: bearer(), body: '{}' });
    expect(unknown.status).toBe(404);
    const tooBig = await call('/api/stage.jog', { method: 'POST', headers: bearer(), body: 'x'.repeat(2 << 20) }).catch(
      () => ({ status: 413 }) as Reply,
    );
    expect(tooBig.status).toBe(413);
    const limit = await call('/api/stage.moveTo', { method: 'POST', headers: bearer(), body: '{"targetUm":1e9}' });
    expect(limit.status).toBe(503);
    expect(JSON.parse(limit.body).error.details.kind).toBe('limit');
  });

  it('moves the stage over HTTP POST', async () => {
    const before = JSON.parse((await call('/api/stage.position', { headers: bearer() })).body).zUm;
    const r = await call('/api/stage.jog', { method: 'POST', headers: bearer(), body: '{"deltaUm":1.5}' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).zUm).toBeCloseTo(before + 1.5, 9);
  });

  it('swaps ?token= for an HttpOnly cookie; the cookie is refused from a foreign origin', async () => {
    const first = await call(`/live?token=${server.token}`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/live');
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await call('/api/info', { headers: { Cookie: cookie } })).status).toBe(200);
    const csrf = await call('/api/stage.jog', {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'http://localhost:9999' },
      body: '{"deltaUm":1}',
    });
    expect(csrf.status).toBe(401);
  });

  it('WebSocket: token required, calls answered, events pushed, malformed messages survive', async () => {
    const wsUrl = `ws://127.0.0.1:${server.port}/ws`;
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on('open', () => resolve('open'));
      ws.on('error', (e) => resolve(e.message));
    });
    expect(refused).toMatch(/401/);

    const ws = new WebSocket(`${wsUrl}?token=${server.token}`);
    await new Promise((r) => ws.once('open', r));
    const messages: any[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    const waitFor = async (pred: (m: any) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const hit = messages.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('message never arrived');
    };
    ws.send('not json');
    expect((await waitFor((m) => m.id === null)).response.error.code).toBe('INVALID_INPUT');
    ws.send(JSON.stringify({ id: 1, method: 'stage.jog', payload: { deltaUm: 'x' } }));
    expect((await waitFor((m) => m.id === 1)).response.error.code).toBe('INVALID_INPUT');
    ws.send(JSON.stringify({ id: 2, method: 'stage.jog', payload: { deltaUm: -0.5 } }));
    const reply = await waitFor((m) => m.id === 2);
    expect(reply.response.ok).toBe(true);
    const event = await waitFor((m) => m.event === 'stage.position');
    expect(event.data.zUm).toBeCloseTo(reply.response.result.zUm, 9);
    ws.close();
  });
});
