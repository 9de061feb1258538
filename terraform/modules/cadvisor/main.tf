# cAdvisor as an ECS DAEMON service on the monitored cluster, with what cAdvisor's documentation
# requires of its container: privileged, /dev/kmsg, and read-only mounts of /, /var/run, /sys,
# /var/lib/docker and /dev/disk. PROMETHEUS=true and PROMETHEUS_PORT make ecs-sd discover it.

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  # host path => container path, all read-only (cAdvisor's "Quick Start: Running cAdvisor in a Docker Container").
  host_mounts = {
    rootfs   = { host = "/", container = "/rootfs" }
    var-run  = { host = "/var/run", container = "/var/run" }
    sys      = { host = "/sys", container = "/sys" }
    docker   = { host = "/var/lib/docker", container = "/var/lib/docker" }
    dev-disk = { host = "/dev/disk", container = "/dev/disk" }
  }

  container = {
    name       = "cadvisor"
    image      = var.image
    essential  = true
    privileged = true
    command = concat([
      "-port=${var.port}",
      "-docker_only=true",
      "-housekeeping_interval=30s",
      "-store_container_labels=false",
      "-whitelisted_container_labels=com.amazonaws.ecs.cluster,com.amazonaws.ecs.container-name,com.amazonaws.ecs.task-arn,com.amazonaws.ecs.task-definition-family",
    ], var.extra_args)
    environment = [
      { name = "PROMETHEUS", value = "true" },
      { name = "PROMETHEUS_PORT", value = tostring(var.port) },
      { name = "PROMETHEUS_ENDPOINT", value = "${var.scrape_interval}:/metrics" },
    ]
    portMappings = [
      { containerPort = var.port, hostPort = var.port, protocol = "tcp" },
    ]
    mountPoints = [
      { sourceVolume = "rootfs", containerPath = "/rootfs", readOnly = true },
      { sourceVolume = "var-run", containerPath = "/var/run", readOnly = true },
      { sourceVolume = "sys", containerPath = "/sys", readOnly = true },
      { sourceVolume = "docker", containerPath = "/var/lib/docker", readOnly = true },
      { sourceVolume = "dev-disk", containerPath = "/dev/disk", readOnly = true },
    ]
    linuxParameters = {
      devices = [
        { hostPath = "/dev/kmsg", containerPath = "/dev/kmsg", permissions = ["read"] },
      ]
    }
    cpu               = var.cpu
    memoryReservation = var.memory_mib
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "cadvisor"
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Pulls the image and writes logs; the task itself needs no AWS access and has no task role.
resource "aws_iam_role" "execution" {
  name_prefix        = "${substr(var.name, 0, 20)}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  network_mode             = "host"
  requires_compatibilities = ["EC2", "EXTERNAL"]
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions    = jsonencode([local.container])

  dynamic "volume" {
    for_each = local.host_mounts

    content {
      name      = volume.key
      host_path = volume.value.host
    }
  }

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name                = var.name
  cluster             = var.cluster_arn
  task_definition     = aws_ecs_task_definition.this.arn
  scheduling_strategy = "DAEMON"
  launch_type         = "EC2"

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = var.tags
}

# Only Prometheus may scrape: one rule per container instance security group.
resource "aws_vpc_security_group_ingress_rule" "scrape" {
  for_each = toset(var.instance_security_group_ids)

  security_group_id            = each.value
  description                  = "${var.name} scrape from Prometheus"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = var.prometheus_security_group_id
  tags                         = var.tags
}
