data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_subnet" "server" {
  for_each = toset(var.subnet_ids)

  id = each.value
}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  region         = data.aws_region.current.name
  monitoring_dir = coalesce(var.monitoring_dir, "${path.module}/../../../monitoring")
  ha             = length(var.subnet_ids) > 1

  # Where each container sees the delivered configuration, the file_sd files and its data.
  config_mount_path  = "/etc/monitoring"
  file_sd_mount_path = "/etc/prometheus/ecs-sd"
  data_mount_path    = "/data"
  ecs_sd_listen      = "127.0.0.1:9888"

  ports = {
    prometheus         = 9090
    alertmanager       = 9093
    alertmanager_peers = 9094
    grafana            = 3000
  }

  cloud_map_namespace_id = var.cloud_map_namespace_id != null ? var.cloud_map_namespace_id : aws_service_discovery_private_dns_namespace.this[0].id
  cloud_map_dns_name     = "prometheus.${var.cloud_map_namespace_name}"

  alert_sns_topic_arn = var.alert_sns_topic_arn != null ? var.alert_sns_topic_arn : aws_sns_topic.alerts[0].arn

  tags = merge(var.tags, { "ecs-sd:stack" = var.name })
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = local.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = [for cp in aws_ecs_capacity_provider.server : cp.name]
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  count = var.cloud_map_namespace_id == null ? 1 : 0

  name        = var.cloud_map_namespace_name
  description = "Service discovery of the ${var.name} monitoring stack"
  vpc         = var.vpc_id
  tags        = local.tags
}

resource "aws_service_discovery_service" "prometheus" {
  name = "prometheus"

  dns_config {
    namespace_id   = local.cloud_map_namespace_id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  tags = local.tags
}

resource "aws_sns_topic" "alerts" {
  count = var.alert_sns_topic_arn == null ? 1 : 0

  name              = "${var.name}-alerts"
  kms_master_key_id = "alias/aws/sns"
  tags              = local.tags
}
