output "http_sd_url" {
  description = "Where the agents read their share (ecs-sd's Cloud Map name)."
  value       = module.scale_out.http_sd_url
}

output "amp_workspace_arn" {
  description = "The AMP workspace the agents write to and that evaluates the rules."
  value       = module.scale_out.amp_workspace_arn
}

output "alert_sns_topic_arn" {
  description = "Subscribe to this SNS topic to receive the alerts AMP's alert manager sends."
  value       = module.scale_out.alert_sns_topic_arn
}

output "grafana_dns_name" {
  description = "Cloud Map name of Grafana (:3000)."
  value       = module.scale_out.grafana_dns_name
}

output "ecs_sd_task_role_arn" {
  description = "Task role of ecs-sd: trust it from cross-account discovery roles."
  value       = module.scale_out.ecs_sd_task_role_arn
}
