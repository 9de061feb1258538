/**
 * A listen address as Prometheus tools take it (`HOST:PORT`, `:PORT`, `[IPv6]:PORT`), read into
 * what `server.listen()` needs, so a bad one is a config error at start-up instead of Node's
 * error at run time. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Where to listen; no `host` means every interface. Port 0 asks the system for a free port. */
export interface ListenAddress {
  host?: string;
  port: number;
}

/** Highest TCP port. */
const MAX_PORT = 65_535;
/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, 63 at most each. */
const HOSTNAME =
  /^(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** Parses `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; a message naming the value and what was expected otherwise. */
export function parseListenAddress(
  text: string,
): { ok: true; value: ListenAddress } | { ok: false; message: string } {
  const shown = JSON.stringify(text);
  const colon = text.lastIndexOf(':');
  if (colon === -1) {
    return { ok: false, message: `${shown} has no port, expected HOST:PORT, :PORT or [IPv6]:PORT` };
  }
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > MAX_PORT) {
    const port = /^\d+$/.test(portText) ? portText : JSON.stringify(portText);
    return {
      ok: false,
      message: `${shown} has port ${port}, expected 1-${MAX_PORT} (or 0 for any free port)`,
    };
  }
  const port = Number(portText);
  if (host === '') return { ok: true, value: { port } };
  if (host.startsWith('[') && host.endsWith(']')) {
    const literal = host.slice(1, -1);
    return isIPv6(literal)
      ? { ok: true, value: { host: literal, port } }
      : { ok: false, message: `${shown} has host ${host}, expected an IPv6 address in brackets` };
  }
  if (isIPv6(host)) {
    return {
      ok: false,
      message: `${shown} has an IPv6 host without brackets, expected [${host}]:${portText}`,
    };
  }
  if (isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host))) {
    return { ok: true, value: { host, port } };
  }
  return {
    ok: false,
    message: `${shown} has host ${JSON.stringify(host)}, expected an IPv4 address, a host name or [IPv6]`,
  };
}
