/**
 * Browser-mode access control: a random token per run, accepted as `Authorization: Bearer <token>`, `?token=` or the
 * session cookie the page receives when it is first opened with `?token=`. Also guards against DNS rebinding and
 * cross-site requests from other pages in the same browser.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'focus_station_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export type Credential = 'bearer' | 'query' | 'cookie';

/** Which credential carried a valid token, or null. */
export function authenticate(req: IncomingMessage, url: URL, token: string): Credential | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && same(auth.slice(7).trim(), token)) return 'bearer';
  const q = url.searchParams.get('token');
  if (q && same(q, token)) return 'query';
  const c = cookieValue(req, TOKEN_COOKIE);
  if (c && same(c, token)) return 'cookie';
  return null;
}

/**
 * Host header check: a server on a loopback address answers only to loopback names, so a web page that rebinds its
 * own host name to 127.0.0.1 cannot talk to it.
 */
export function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'];
  if (!loopback.includes(boundHost)) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return loopback.includes(host);
}

/**
 * A cookie rides along with any request the browser makes, including ones from another site on localhost, so a
 * cookie-authenticated request must come from our own origin (or from no page at all).
 */
export function originAllowed(req: IncomingMessage, credential: Credential): boolean {
  if (credential !== 'cookie') return true;
  const origin = req.headers.origin;
  if (!origin) return req.method === 'GET' || req.method === 'HEAD';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
