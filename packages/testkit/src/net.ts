/** Small network helpers: a free loopback port and a JSON GET with a timeout. */
import { createServer } from 'node:net';

/** A free TCP port on `host`, picked by the kernel (port 0), for a child that must be told its port up front. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error(`no port for ${host}: the server listens on ${String(address)}, expected a TCP address`);
  }
  return address.port;
}

/** GETs `url` and parses its JSON body; throws on a non-2xx answer and after 5s, so a poll never hangs. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
