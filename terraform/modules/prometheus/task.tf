# The task: a "config" init container syncs the configuration from S3, then Prometheus, ecs-sd
# (http_sd on localhost, file_sd into the shared "file-sd" volume), Alertmanager and Grafana run
# side by side in awsvpc mode, so they reach each other on localhost. The container definitions are
# plain HCL objects in locals so that the static tests read them as written.

locals {
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.this.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "monitoring"
    }
  }

  alertmanager_cluster_flags = local.ha ? [
    "--cluster.listen-address=0.0.0.0:${local.ports.alertmanager_peers}",
    "--cluster.peer=${local.cloud_map_dns_name}:${local.ports.alertmanager_peers}",
  ] : ["--cluster.listen-address="]

  prometheus_retention_flags = concat(
    ["--storage.tsdb.retention.time=${var.retention_time}"],
    var.retention_size == null ? [] : ["--storage.tsdb.retention.size=${var.retention_size}"],
  )

  container_config = {
    name      = "config"
    image     = var.images.config_loader
    essential = false
    # Sync the configuration, then hand the file_sd volume to ecs-sd's non-root user (65532).
    entryPoint = ["/bin/sh", "-c"]
    command    = ["aws s3 sync --delete --no-progress s3://${aws_s3_bucket.config.id}/${local.config_prefix}/ ${local.config_mount_path}/ && chown 65532:65532 ${local.file_sd_mount_path}"]
    environment = [
      { name = "AWS_REGION", value = local.region },
      { name = "CONFIG_SHA256", value = local.config_digest },
    ]
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = false },
      { sourceVolume = "file-sd", containerPath = local.file_sd_mount_path, readOnly = false },
    ]
    memoryReservation = 64
    logConfiguration  = local.log_configuration
  }

  container_ecs_sd = {
    name      = "ecs-sd"
    image     = var.ecs_sd_image
    essential = true
    command = [
      "--config.file", "${local.config_mount_path}/ecs-sd/ecs-sd.yaml",
      "--web.listen-address", local.ecs_sd_listen,
      "--output.directory", "${local.file_sd_mount_path}/",
    ]
    environment = [
      { name = "AWS_REGION", value = local.region },
    ]
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
      { sourceVolume = "file-sd", containerPath = local.file_sd_mount_path, readOnly = false },
    ]
    readonlyRootFilesystem = true
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    # `ecs-sd healthcheck` with the container's own flags probes what the daemon serves (its listen
    # address, and TLS and basic auth when a web config file is added to both lists).
    healthCheck = {
      command = [
        "CMD", "/nodejs/bin/node", "/app/dist/cli.js", "healthcheck",
        "--config.file", "${local.config_mount_path}/ecs-sd/ecs-sd.yaml",
        "--web.listen-address", local.ecs_sd_listen,
        "--output.directory", "${local.file_sd_mount_path}/",
      ]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    memoryReservation = var.memory_mib.ecs_sd
    logConfiguration  = local.log_configuration
  }

  container_prometheus = {
    name      = "prometheus"
    image     = var.images.prometheus
    essential = true
    command = concat([
      "--config.file=${local.config_mount_path}/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--web.listen-address=:${local.ports.prometheus}",
      "--enable-feature=expand-external-labels",
    ], local.prometheus_retention_flags)
    portMappings = [
      { containerPort = local.ports.prometheus, protocol = "tcp" },
    ]
    mountPoints = [
      { sourceVolume = "prometheus-data", containerPath = "/prometheus", readOnly = false },
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
      { sourceVolume = "file-sd", containerPath = local.file_sd_mount_path, readOnly = true },
    ]
    readonlyRootFilesystem = true
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
      { containerName = "ecs-sd", condition = "START" },
    ]
    healthCheck = {
      command     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost:${local.ports.prometheus}/-/healthy"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 120
    }
    memoryReservation = var.memory_mib.prometheus
    logConfiguration  = local.log_configuration
  }

  container_alertmanager = {
    name      = "alertmanager"
    image     = var.images.alertmanager
    essential = true
    command = concat([
      "--config.file=${local.config_mount_path}/alertmanager/alertmanager.yml",
      "--storage.path=/alertmanager",
      "--web.listen-address=:${local.ports.alertmanager}",
    ], local.alertmanager_cluster_flags)
    environment = [
      { name = "AWS_REGION", value = local.region },
    ]
    portMappings = [
      { containerPort = local.ports.alertmanager, protocol = "tcp" },
      { containerPort = local.ports.alertmanager_peers, protocol = "tcp" },
      { containerPort = local.ports.alertmanager_peers, protocol = "udp" },
    ]
    mountPoints = [
      { sourceVolume = "alertmanager-data", containerPath = "/alertmanager", readOnly = false },
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
    ]
    readonlyRootFilesystem = true
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    memoryReservation = var.memory_mib.alertmanager
    logConfiguration  = local.log_configuration
  }

  container_grafana = {
    name      = "grafana"
    image     = var.images.grafana
    essential = true
    environment = [
      { name = "GF_PATHS_PROVISIONING", value = "${local.config_mount_path}/grafana/provisioning" },
      { name = "GF_SECURITY_ADMIN_USER", value = "admin" },
      { name = "GF_USERS_ALLOW_SIGN_UP", value = "false" },
      { name = "GF_AUTH_ANONYMOUS_ENABLED", value = "false" },
      { name = "GF_ANALYTICS_REPORTING_ENABLED", value = "false" },
      { name = "GF_ANALYTICS_CHECK_FOR_UPDATES", value = "false" },
    ]
    secrets = [
      { name = "GF_SECURITY_ADMIN_PASSWORD", valueFrom = var.grafana_admin_password_ssm_parameter_arn },
    ]
    portMappings = [
      { containerPort = local.ports.grafana, protocol = "tcp" },
    ]
    mountPoints = [
      { sourceVolume = "grafana-data", containerPath = "/var/lib/grafana", readOnly = false },
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
    ]
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    memoryReservation = var.memory_mib.grafana
    logConfiguration  = local.log_configuration
  }
}

resource "aws_ecs_task_definition" "server" {
  for_each = local.availability_zones

  family                   = "${var.name}-${each.value}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  # REPLICA (the zone) becomes the external label that tells the servers of an HA pair apart.
  container_definitions = jsonencode([
    local.container_config,
    local.container_ecs_sd,
    merge(local.container_prometheus, { environment = [{ name = "REPLICA", value = each.value }] }),
    local.container_alertmanager,
    local.container_grafana,
  ])

  volume {
    name = "config"

    docker_volume_configuration {
      scope  = "task"
      driver = "local"
    }
  }

  volume {
    name = "file-sd"

    docker_volume_configuration {
      scope  = "task"
      driver = "local"
    }
  }

  volume {
    name      = "prometheus-data"
    host_path = "${local.data_mount_path}/prometheus"
  }

  volume {
    name      = "alertmanager-data"
    host_path = "${local.data_mount_path}/alertmanager"
  }

  volume {
    name      = "grafana-data"
    host_path = "${local.data_mount_path}/grafana"
  }

  # Only on an instance whose user data mounted the data volume.
  placement_constraints {
    type       = "memberOf"
    expression = "attribute:${local.mounted_attribute} == mounted"
  }

  tags = local.tags
}

resource "aws_ecs_service" "server" {
  for_each = local.availability_zones

  name            = "prometheus-${each.value}"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.server[each.key].arn
  desired_count   = 1

  # The data volume attaches to one instance at a time: stop the old task before starting the new.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.server[each.key].name
    weight            = 1
    base              = 1
  }

  network_configuration {
    subnets          = [each.key]
    security_groups  = [aws_security_group.prometheus.id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.prometheus.arn
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = local.tags

  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_s3_object.rendered]
}
