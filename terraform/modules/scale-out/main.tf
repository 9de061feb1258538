# The scale-out topology: ecs-sd as its own ECS service (replicas behind one Cloud Map name) crawls ECS
# once and serves each scraper of a pool its share over http_sd; the scrapers (Prometheus in agent mode
# on Fargate, awsvpc, so ecs-sd knows each by its task IP) remote-write to a store that evaluates the
# rules; Grafana reads that store.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region         = data.aws_region.current.name
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  monitoring_dir = coalesce(var.monitoring_dir, "${path.module}/../../../monitoring")

  config_mount_path = "/etc/monitoring"

  ports = {
    ecs_sd  = 9888
    agent   = 9090
    grafana = 3000
  }

  scraper_family = "${var.name}-prometheus-agent"
  ecs_sd_family  = "${var.name}-ecs-sd"

  cloud_map_namespace_id = var.cloud_map_namespace_id != null ? var.cloud_map_namespace_id : aws_service_discovery_private_dns_namespace.this[0].id
  ecs_sd_dns_name        = "ecs-sd.${var.cloud_map_namespace_name}"
  http_sd_url            = "http://${local.ecs_sd_dns_name}:${local.ports.ecs_sd}/http-sd?pool=${var.pool_name}"

  tags = merge(var.tags, { "ecs-sd:stack" = var.name })
}

# The cluster of ecs-sd, the scrapers and Grafana; ecs-sd reads it for the pool's members.
resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = local.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  count = var.cloud_map_namespace_id == null ? 1 : 0

  name        = var.cloud_map_namespace_name
  description = "Service discovery of the ${var.name} scale-out monitoring"
  vpc         = var.vpc_id
  tags        = local.tags
}

# One name for every ecs-sd replica: the scrapers' http_sd host.
resource "aws_service_discovery_service" "ecs_sd" {
  name = "ecs-sd"

  dns_config {
    namespace_id   = local.cloud_map_namespace_id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  # ECS reports each task's health: a replica failing its health check leaves the answer.
  health_check_custom_config {
    failure_threshold = 1
  }

  tags = local.tags
}
