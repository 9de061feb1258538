output "service_arn" {
  description = "ARN of the DAEMON service."
  value       = aws_ecs_service.this.id
}

output "task_definition_arn" {
  description = "ARN of the task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "port" {
  description = "Port the exporter listens on, on every container instance."
  value       = var.port
}

output "log_group_name" {
  description = "CloudWatch log group of the exporter."
  value       = aws_cloudwatch_log_group.this.name
}
