output "prometheus_dns_name" {
  description = "Cloud Map name of the Prometheus servers (Prometheus :9090, Alertmanager :9093, Grafana :3000)."
  value       = module.prometheus.prometheus_dns_name
}

output "alert_sns_topic_arn" {
  description = "Subscribe to this SNS topic to receive alerts."
  value       = module.prometheus.alert_sns_topic_arn
}

output "task_role_arn" {
  description = "Task role of ecs-sd: trust it from cross-account discovery roles."
  value       = module.prometheus.task_role_arn
}

output "data_volume_ids" {
  description = "Persistent data volumes by availability zone (snapshot them to back up)."
  value       = module.prometheus.data_volume_ids
}
