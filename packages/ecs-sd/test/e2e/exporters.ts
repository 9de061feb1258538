/** Tiny exporters for the end-to-end test: node:http servers at exactly a task's address and port. */
import { createServer, type Server } from 'node:http';

/** A running test exporter: serves Prometheus text on `path` only, counts its scrapes. */
export interface Exporter {
  address: string;
  path: string;
  scrapes(): number;
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (a loopback address in 127.0.0.0/8, as ecs-sim hands out) and answers
 * `GET path` with one sample naming the exporter; any other path is a 404, so a scrape with the
 * wrong metrics path shows as down in Prometheus.
 */
export async function startExporter(host: string, port: number, path: string): Promise<Exporter> {
  let scrapes = 0;
  const address = `${host}:${port}`;
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`only ${path} here\n`);
      return;
    }
    scrapes++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(
      '# HELP e2e_exporter_info Which test exporter answered.\n' +
        '# TYPE e2e_exporter_info gauge\n' +
        `e2e_exporter_info{address="${address}",path="${path}"} 1\n`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address,
    path,
    scrapes: () => scrapes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
