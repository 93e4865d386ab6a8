/**
 * The renderer's Content-Security-Policy, the same in Electron and in browser mode: only our own scripts, no eval,
 * no remote content; images may be data:/blob: URLs (live-view frames, plots); connections only back to our own
 * origin (the browser-mode WebSocket).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte sets style attributes for layout (progress widths, map colours); no external styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
