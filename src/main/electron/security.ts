/**
 * The Electron window's security settings, kept free of Electron imports so a unit test can pin them down.
 * Defence in depth: the renderer has no Node, runs sandboxed in an isolated world, loads only our files, cannot
 * navigate away or open windows, and gets no permission it does not need.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: 'FocusStation',
    backgroundColor: '#14161a',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
      devTools: true,
    },
  };
}

/** Permissions the renderer may be granted: copying results to the clipboard and full-screen live view. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write', 'fullscreen']);

export function isPermissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission);
}

/**
 * True for the app's own pages: the bundled file:// renderer, or the electron-vite dev server in development.
 * Everything else (navigation, new windows, IPC from a foreign frame) is refused.
 */
export function isAppUrl(url: string, rendererFileUrl: string, devServerUrl?: string): boolean {
  try {
    const u = new URL(url);
    if (devServerUrl) {
      const d = new URL(devServerUrl);
      if (u.origin === d.origin) return true;
    }
    const r = new URL(rendererFileUrl);
    return u.protocol === 'file:' && u.pathname === r.pathname;
  } catch {
    return false;
  }
}
