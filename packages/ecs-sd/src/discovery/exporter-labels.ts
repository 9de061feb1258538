/** The prometheus-ecs-discovery convention: `PROMETHEUS_EXPORTER_*` docker labels of one container. */
import { type ConventionResult, emptyResult } from './declaration.ts';
import { parsePort, parseScheme, quote } from './values.ts';

/** prometheus-ecs-discovery: docker labels `PROMETHEUS_EXPORTER_PORT` (a container port), `_PATH`, `_SCHEME`, `_JOB_NAME`, `_SERVER_NAME`. */
export function prometheusEcsDiscovery(
  dockerLabels: Readonly<Record<string, string>>,
  defaultPath: string,
): ConventionResult {
  const result = emptyResult();
  const portText = dockerLabels['PROMETHEUS_EXPORTER_PORT'];
  if (portText === undefined) return result;
  const port = parsePort(portText);
  if (port === undefined) {
    result.skips.push({
      reason: 'port-not-a-number',
      message: `PROMETHEUS_EXPORTER_PORT=${quote(portText)} is not a port number`,
    });
    return result;
  }
  const path = dockerLabels['PROMETHEUS_EXPORTER_PATH'] ?? defaultPath;
  if (!path.startsWith('/')) {
    result.skips.push({
      reason: 'invalid-label-value',
      message: `PROMETHEUS_EXPORTER_PATH=${quote(path)} is not a path (expected one starting with /)`,
    });
    return result;
  }
  const schemeText = dockerLabels['PROMETHEUS_EXPORTER_SCHEME'];
  const scheme = schemeText === undefined ? undefined : parseScheme(schemeText);
  if (schemeText !== undefined && scheme === undefined) {
    result.skips.push({
      reason: 'invalid-label-value',
      message: `PROMETHEUS_EXPORTER_SCHEME=${quote(schemeText)} is not a scheme (expected http or https)`,
    });
    return result;
  }
  const job = dockerLabels['PROMETHEUS_EXPORTER_JOB_NAME'];
  const serverNameText = dockerLabels['PROMETHEUS_EXPORTER_SERVER_NAME'];
  const serverName = serverNameText?.replace(/\/+$/, '');
  if (serverNameText !== undefined && serverName!.includes('/')) {
    // Prometheus drops a target whose address contains "/" (config.CheckTargetAddress).
    result.skips.push({
      reason: 'invalid-address',
      message: `PROMETHEUS_EXPORTER_SERVER_NAME=${quote(serverNameText)} is not a host name (expected a name or IP without scheme or path, such as metrics.internal; prometheus drops an address containing "/")`,
    });
    return result;
  }
  result.declarations.push({
    convention: 'prometheus-ecs-discovery',
    origin: `PROMETHEUS_EXPORTER_PORT=${port}`,
    port: { kind: 'container', port, source: `PROMETHEUS_EXPORTER_PORT=${port}` },
    path,
    ...(scheme ? { scheme } : {}),
    ...(job !== undefined && job !== '' ? { job } : {}),
    ...(serverName !== undefined && serverName !== '' ? { serverName } : {}),
    labels: {},
  });
  return result;
}
