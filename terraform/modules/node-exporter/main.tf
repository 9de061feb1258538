# node-exporter as an ECS DAEMON service on the monitored cluster: host network and host PID
# namespace, the host's root file system mounted read-only at /host and passed as --path.rootfs,
# as node-exporter's README prescribes for containers. PROMETHEUS=true and PROMETHEUS_PORT make
# ecs-sd discover it on each container instance.

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  rootfs_path = "/host"

  container = {
    name      = "node-exporter"
    image     = var.image
    essential = true
    user      = "65534:65534"
    command = concat([
      "--path.rootfs=/host",
      "--web.listen-address=:${var.port}",
      "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+|var/lib/containerd/.+)($|/)",
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
      { sourceVolume = "rootfs", containerPath = "/host", readOnly = true },
    ]
    readonlyRootFilesystem = true
    cpu                    = var.cpu
    memoryReservation      = var.memory_mib
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "node-exporter"
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
  pid_mode                 = "host"
  requires_compatibilities = ["EC2", "EXTERNAL"]
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions    = jsonencode([local.container])

  volume {
    name      = "rootfs"
    host_path = "/"
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
