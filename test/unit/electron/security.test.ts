/**
 * The Electron entry runs here against a recording stand-in for the `electron` module (the binary cannot run on CI):
 * what matters is what our code asks Electron for - the window's security options, the permission policy, the
 * navigation and window-open guards, and the IPC handler's validation.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../../../src/shared/api';
import { CONTENT_SECURITY_POLICY } from '../../../src/main/csp';

const rec = vi.hoisted(() => {
  type Handler = (...args: any[]) => any;
  const state = {
    windows: [] as any[],
    appHandlers: {} as Record<string, Handler[]>,
    ipcHandlers: {} as Record<string, Handler>,
    permissionHandler: null as Handler | null,
    permissionCheck: null as Handler | null,
    headersHandler: null as Handler | null,
    sandboxEnabled: false,
    ready: null as null | (() => void),
  };
  return state;
});

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = () => rec.windows;
    webContents = { send: vi.fn() };
    constructor(public options: any) {
      rec.windows.push(this);
    }
    on() {}
    once() {}
    show() {}
    isDestroyed() {
      return false;
    }
    async loadFile() {}
    async loadURL() {}
  }
  const app = {
    on: (ev: string, h: any) => ((rec.appHandlers[ev] ??= []).push(h), app),
    enableSandbox: () => (rec.sandboxEnabled = true),
    whenReady: () => new Promise<void>((r) => (rec.ready = r)),
    quit: vi.fn(),
    exit: vi.fn(),
  };
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (h: any) => (rec.permissionHandler = h),
      setPermissionCheckHandler: (h: any) => (rec.permissionCheck = h),
      webRequest: { onHeadersReceived: (h: any) => (rec.headersHandler = h) },
    },
  };
  const ipcMain = { handle: (ch: string, h: any) => (rec.ipcHandlers[ch] = h) };
  const shell = { openExternal: vi.fn() };
  return { app, BrowserWindow, session, ipcMain, shell, default: { app, BrowserWindow, session, ipcMain, shell } };
});

let rendererFileUrl = '';
beforeAll(async () => {
  ({ rendererFileUrl } = await import('../../../src/main/electron/main'));
  rec.ready!();
  // Services start first (the virtual microscope loads its slide): wait for the window.
  for (let i = 0; i < 600 && rec.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  for (const h of rec.appHandlers['before-quit'] ?? []) h({ preventDefault() {} });
});

describe('Electron window security', () => {
  it('creates the window with isolation, sandbox, no Node and web security on', () => {
    expect(rec.windows).toHaveLength(1);
    const wp = rec.windows[0].options.webPreferences;
    expect(wp.contextIsolation).toBe(true);
    expect(wp.sandbox).toBe(true);
    expect(wp.nodeIntegration).toBe(false);
    expect(wp.nodeIntegrationInWorker).toBe(false);
    expect(wp.nodeIntegrationInSubFrames).toBe(false);
    expect(wp.webSecurity).toBe(true);
    expect(wp.allowRunningInsecureContent).toBe(false);
    expect(wp.webviewTag).toBe(false);
    expect(wp.preload).toMatch(/preload[\\/]index\.cjs$/);
    expect(rec.sandboxEnabled).toBe(true);
  });

  it('denies permissions except the ones the app needs', () => {
    const ask = (p: string) => {
      let granted: boolean | undefined;
      rec.permissionHandler!({}, p, (g: boolean) => (granted = g));
      return granted;
    };
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'midi',
      'openExternal',
      'display-capture',
      'hid',
      'serial',
    ]) {
      expect(ask(p), p).toBe(false);
      expect(rec.permissionCheck!({}, p), p).toBe(false);
    }
    expect(ask('clipboard-sanitized-write')).toBe(true);
  });

  it('adds the strict Content-Security-Policy to every response', () => {
    let out: any;
    rec.headersHandler!({ responseHeaders: {} }, (r: any) => (out = r));
    expect(out.responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'(;|$)/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
  });

  it('refuses navigation away from the app, new windows and webviews', () => {
    const handlers: Record<string, any> = {};
    let openHandler: any;
    const contents = {
      on: (ev: string, h: any) => (handlers[ev] = h),
      setWindowOpenHandler: (h: any) => (openHandler = h),
    };
    for (const h of rec.appHandlers['web-contents-created']) h({}, contents);
    let prevented = false;
    handlers['will-navigate']({ preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
    let webview = false;
    handlers['will-attach-webview']({ preventDefault: () => (webview = true) });
    expect(webview).toBe(true);
    expect(openHandler({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
  });

  it('IPC: validates payloads and refuses frames that are not the app', async () => {
    const invoke = rec.ipcHandlers[IPC_CHANNELS.invoke];
    expect(invoke).toBeTypeOf('function');
    const foreign = await invoke({ senderFrame: { url: 'https://evil.example/' } }, 'stage.jog', { deltaUm: 1 });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const fromApp = { senderFrame: { url: rendererFileUrl } };
    expect(await invoke(fromApp, 'stage.jog', { deltaUm: 'up' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    expect(await invoke(fromApp, { toString: () => 'info' }, {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    });
    const moved = await invoke(fromApp, 'stage.jog', { deltaUm: 1 });
    expect(moved).toMatchObject({ ok: true, result: { zUm: 1 } });
  });
});
