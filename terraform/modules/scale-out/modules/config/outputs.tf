output "agent_yml" {
  description = "prometheus-agent.yml for the scrapers (Prometheus in agent mode)."
  value       = "# Rendered by terraform/modules/scale-out from prometheus/prometheus-agent.yml.\n${yamlencode(local.agent)}"
}

output "alertmanager_yml" {
  description = "The Alertmanager configuration of AMP's alert manager (null without topic_arn)."
  value       = local.alertmanager == null ? null : yamlencode(local.alertmanager)
}

output "alert_manager_definition" {
  description = "AMP's alert manager definition: the Alertmanager configuration under alertmanager_config (null without topic_arn)."
  value       = local.alertmanager == null ? null : yamlencode({ alertmanager_config = yamlencode(local.alertmanager) })
}

output "grafana_datasources_yml" {
  description = "Grafana data source provisioning: the store as the default Prometheus data source (null without grafana_datasource)."
  value       = local.grafana_datasources == null ? null : yamlencode(local.grafana_datasources)
}

output "grafana_dashboards_yml" {
  description = "Grafana dashboard provisioning pointing at the delivered dashboards."
  value       = yamlencode(local.grafana_dashboards)
}
