output "cluster_arn" {
  description = "ARN of the ECS cluster ecs-sd, the scrapers and Grafana run in."
  value       = aws_ecs_cluster.this.arn
}

output "scraper_security_group_id" {
  description = "Security group of the scrapers: open your targets' scrape ports (and the store's port) to it; the node-exporter and cadvisor modules take it as prometheus_security_group_id."
  value       = aws_security_group.scraper.id
}

output "ecs_sd_security_group_id" {
  description = "Security group of the ecs-sd replicas (9888 from the scrapers only)."
  value       = aws_security_group.ecs_sd.id
}

output "ecs_sd_task_role_arn" {
  description = "ARN of ecs-sd's task role; cross-account discovery roles must trust it."
  value       = aws_iam_role.ecs_sd.arn
}

output "http_sd_url" {
  description = "The URL the scrapers read their share from (ecs-sd knows each by its task IP)."
  value       = local.http_sd_url
}

output "scraper_family" {
  description = "Task definition family of the scrapers: the pool's members are its running tasks."
  value       = local.scraper_family
}

output "amp_workspace_arn" {
  description = "ARN of the Amazon Managed Service for Prometheus workspace (null for a remote-write store)."
  value       = local.workspace_arn
}

output "amp_remote_write_url" {
  description = "The scrapers' remote_write URL."
  value       = local.remote_write_url
}

output "alert_sns_topic_arn" {
  description = "SNS topic the created AMP workspace's alert manager notifies; subscribe to it (null otherwise)."
  value       = local.alert_sns_topic_arn
}

output "grafana_dns_name" {
  description = "Cloud Map name of Grafana (:3000), null without Grafana."
  value       = local.grafana ? "grafana.${var.cloud_map_namespace_name}" : null
}

output "events_queue_urls" {
  description = "URLs of the replicas' SQS queues of ECS events (empty unless event_mode)."
  value       = aws_sqs_queue.events[*].url
}

output "config_bucket" {
  description = "S3 bucket holding the delivered configuration."
  value       = aws_s3_bucket.config.id
}

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = aws_cloudwatch_log_group.this.name
}
