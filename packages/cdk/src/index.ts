/** The public API of @ecs-sd/cdk: constructs to run ecs-sd with Prometheus on ECS, and the daemons it discovers. */
export { CADVISOR_MOUNTS, CadvisorDaemon, type CadvisorDaemonProps } from './daemons/cadvisor-daemon.ts';
export {
  NODE_EXPORTER_ROOTFS,
  NodeExporterDaemon,
  type NodeExporterDaemonProps,
} from './daemons/node-exporter-daemon.ts';
export { allowScrapes, type ScrapeAccessProps } from './daemons/scrape-access.ts';
export { DiscoveryRole, type DiscoveryRoleProps } from './discovery-role/discovery-role.ts';
export {
  type DiscoverySource,
  type RemoteWriteTarget,
  TASK_PATHS,
  TASK_PORTS,
} from './prometheus-server/config.ts';
export {
  DATA_VOLUME_TAG_KEY,
  PrometheusServer,
  type PrometheusServerProps,
} from './prometheus-server/prometheus-server.ts';
export { AmpStore, type AmpStoreProps } from './scale-out/amp-store.ts';
export {
  type AmpWorkspaceRef,
  COMPONENT_JOBS,
  type MetricsStore,
  SCALE_OUT_PORTS,
} from './scale-out/config.ts';
export { EcsSdReplicas, type EcsSdReplicasProps } from './scale-out/ecs-sd-replicas.ts';
export { AMP_QUERY_ACTIONS, StoreGrafana, type StoreGrafanaProps } from './scale-out/grafana.ts';
export { ScaleOutMonitoring, type ScaleOutMonitoringProps } from './scale-out/scale-out.ts';
export { ECS_SD_VERSION, IMAGES } from './versions.ts';
