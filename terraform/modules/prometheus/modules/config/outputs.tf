output "prometheus_yml" {
  description = "prometheus.yml for the task."
  value       = "# Rendered by terraform/modules/prometheus from ${local.prometheus_source}.\n${yamlencode(local.prometheus)}"
}

output "alertmanager_yml" {
  description = "alertmanager.yml for the task: the monitoring/ routes, every receiver on SNS."
  value       = "# Rendered by terraform/modules/prometheus from alertmanager/alertmanager.yml.\n${yamlencode(local.alertmanager)}"
}

output "grafana_datasources_yml" {
  description = "Grafana data source provisioning pointing at the task's Prometheus."
  value       = local.grafana_datasources
}

output "grafana_dashboards_yml" {
  description = "Grafana dashboard provisioning pointing at the delivered dashboards."
  value       = local.grafana_dashboards
}
