/**
 * The Electron front door: one window on the same services as browser mode and the CLI. This folder is the only
 * place in the backend that imports Electron.
 */
import { app, BrowserWindow, ipcMain, session, shell, type WebContents } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IPC_CHANNELS } from '../../shared/api';
import { CONTENT_SECURITY_POLICY } from '../csp';
import { logger } from '../log';
import { createServices, type Services } from '../services/container';
import { isAppUrl, isPermissionAllowed, windowOptions } from './security';

const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const here = dirname(fileURLToPath(import.meta.url));
const rendererFile = join(here, '../renderer/index.html');
export const rendererFileUrl = pathToFileURL(rendererFile).href;
const preloadPath = join(here, '../preload/index.cjs');

let services: Services | null = null;

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, rendererFileUrl, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the system browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

function registerIpc(s: Services): void {
  ipcMain.handle(IPC_CHANNELS.invoke, async (event, method: unknown, payload: unknown) => {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isAppUrl(frameUrl, rendererFileUrl, devServerUrl)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from a page that is not the app' } };
    }
    return s.dispatch(typeof method === 'string' ? method : '', payload);
  });
}

async function createWindow(s: Services): Promise<BrowserWindow> {
  const win = new BrowserWindow(windowOptions(preloadPath));
  const unsubscribe = s.bus.subscribe((e) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_CHANNELS.event, e);
  });
  win.on('closed', unsubscribe);
  win.once('ready-to-show', () => win.show());
  if (devServerUrl) await win.loadURL(devServerUrl);
  else await win.loadFile(rendererFile);
  return win;
}

app.on('web-contents-created', (_e, contents) => lockDownContents(contents));
app.enableSandbox();

app
  .whenReady()
  .then(async () => {
    lockDownSession();
    services = await createServices({ frontDoor: 'electron' });
    registerIpc(services);
    await createWindow(services);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0 && services) void createWindow(services);
    });
  })
  .catch((err) => {
    logger.fatal({ err }, 'FocusStation failed to start');
    app.exit(1);
  });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('before-quit', (event) => {
  if (!services) return;
  event.preventDefault();
  const s = services;
  services = null;
  void s.close().finally(() => app.quit());
});
