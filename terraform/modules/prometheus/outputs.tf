output "cluster_arn" {
  description = "ARN of the ECS cluster the Prometheus servers run in."
  value       = aws_ecs_cluster.this.arn
}

output "prometheus_security_group_id" {
  description = "Security group of the Prometheus tasks: open scrape ports to it (the node-exporter and cadvisor modules take it)."
  value       = aws_security_group.prometheus.id
}

output "instance_security_group_id" {
  description = "Security group of the Prometheus container instances."
  value       = aws_security_group.instance.id
}

output "task_role_arn" {
  description = "ARN of the task role; cross-account discovery roles must trust it."
  value       = aws_iam_role.task.arn
}

output "prometheus_dns_name" {
  description = "Cloud Map DNS name answering with the servers' addresses (Prometheus :9090, Alertmanager :9093, Grafana :3000)."
  value       = local.cloud_map_dns_name
}

output "cloud_map_service_arn" {
  description = "ARN of the Cloud Map service the servers register in."
  value       = aws_service_discovery_service.prometheus.arn
}

output "data_volume_ids" {
  description = "Persistent EBS data volume of each server, by availability zone."
  value       = { for id, az in local.availability_zones : az => aws_ebs_volume.data[id].id }
}

output "alert_sns_topic_arn" {
  description = "SNS topic Alertmanager notifies; subscribe to it."
  value       = local.alert_sns_topic_arn
}

output "events_queue_url" {
  description = "URL of the SQS queue of ECS events (null unless event_mode)."
  value       = var.event_mode ? aws_sqs_queue.events[0].url : null
}

output "config_bucket" {
  description = "S3 bucket holding the delivered configuration."
  value       = aws_s3_bucket.config.id
}

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = aws_cloudwatch_log_group.this.name
}
