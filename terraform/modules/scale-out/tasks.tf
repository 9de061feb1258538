# The three kinds of task, all Fargate in awsvpc mode (the scrapers need an IP each: ecs-sd knows a
# scraper by the source address of its http_sd request). Container definitions are plain HCL objects
# in locals so that the static tests read them as written.

locals {
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.this.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "scale-out"
    }
  }

  agent_wal_path = "/prometheus"

  # Syncs the configuration into the task-scoped "config" volume; CONFIG_SHA256 is set per task.
  container_config = {
    name       = "config"
    image      = var.images.config_loader
    essential  = false
    entryPoint = ["/bin/sh", "-c"]
    command    = ["aws s3 sync --delete --no-progress s3://${aws_s3_bucket.config.id}/${local.config_prefix}/ ${local.config_mount_path}/"]
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = false },
    ]
    memoryReservation = 64
    logConfiguration  = local.log_configuration
  }

  container_ecs_sd = {
    name      = "ecs-sd"
    image     = var.ecs_sd_image
    essential = true
    user      = "65532:65532"
    environment = [
      { name = "AWS_REGION", value = local.region },
    ]
    portMappings = [
      { containerPort = local.ports.ecs_sd, protocol = "tcp" },
    ]
    # Scraped through the pool like any target; the agent config keeps only job and instance.
    dockerLabels = {
      "ecs-sd.scrape" = "true"
      "ecs-sd.port"   = tostring(local.ports.ecs_sd)
      "ecs-sd.job"    = "ecs-sd"
    }
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
    ]
    readonlyRootFilesystem = true
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    # `ecs-sd healthcheck` with the replicas' listen address (their config files set no web keys)
    # probes what the daemon serves, TLS and basic auth too when a web config file is added to both.
    healthCheck = {
      command     = ["CMD", "/nodejs/bin/node", "/app/dist/cli.js", "healthcheck", "--web.listen-address", "0.0.0.0:${local.ports.ecs_sd}"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = local.log_configuration
  }

  container_agent = {
    name      = "prometheus"
    image     = var.images.prometheus
    essential = true
    command = [
      # Prometheus 3 (the default image); 2.x spells it --enable-feature=agent.
      "--agent",
      "--config.file=${local.config_mount_path}/prometheus/prometheus-agent.yml",
      "--storage.agent.path=${local.agent_wal_path}",
      "--web.listen-address=0.0.0.0:${local.ports.agent}",
    ]
    portMappings = [
      { containerPort = local.ports.agent, protocol = "tcp" },
    ]
    # Scraped through the pool like any target, under the job the agent alerts select.
    dockerLabels = {
      "ecs-sd.scrape" = "true"
      "ecs-sd.port"   = tostring(local.ports.agent)
      "ecs-sd.job"    = "prometheus-agent"
    }
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
      { sourceVolume = "agent-wal", containerPath = local.agent_wal_path, readOnly = false },
    ]
    readonlyRootFilesystem = true
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    healthCheck = {
      command     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.agent}/-/healthy"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = local.log_configuration
  }

  grafana_environment = [
    { name = "GF_PATHS_PROVISIONING", value = "${local.config_mount_path}/grafana/provisioning" },
    { name = "GF_SECURITY_ADMIN_USER", value = "admin" },
    { name = "GF_USERS_ALLOW_SIGN_UP", value = "false" },
    { name = "GF_AUTH_ANONYMOUS_ENABLED", value = "false" },
    { name = "GF_ANALYTICS_REPORTING_ENABLED", value = "false" },
    { name = "GF_ANALYTICS_CHECK_FOR_UPDATES", value = "false" },
  ]

  # SigV4 on the AMP data source with the default AWS chain: the task role.
  grafana_sigv4_environment = [
    { name = "GF_AUTH_SIGV4_AUTH_ENABLED", value = "true" },
  ]

  container_grafana = {
    name        = "grafana"
    image       = var.images.grafana
    essential   = true
    environment = concat(local.grafana_environment, local.amp ? local.grafana_sigv4_environment : [])
    secrets = [
      { name = "GF_SECURITY_ADMIN_PASSWORD", valueFrom = var.grafana_admin_password_ssm_parameter_arn },
    ]
    portMappings = [
      { containerPort = local.ports.grafana, protocol = "tcp" },
    ]
    mountPoints = [
      { sourceVolume = "config", containerPath = local.config_mount_path, readOnly = true },
    ]
    dependsOn = [
      { containerName = "config", condition = "SUCCESS" },
    ]
    logConfiguration = local.log_configuration
  }
}

# --- ecs-sd: one ECS service per replica (each its own config and queue), all behind one Cloud Map name

resource "aws_ecs_task_definition" "ecs_sd" {
  count = var.ecs_sd_replicas

  family                   = "${local.ecs_sd_family}-${count.index}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = tostring(var.ecs_sd_size.cpu)
  memory                   = tostring(var.ecs_sd_size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.ecs_sd.arn

  container_definitions = jsonencode([
    merge(local.container_config, {
      environment = [
        { name = "AWS_REGION", value = local.region },
        { name = "CONFIG_SHA256", value = local.ecs_sd_config_digest[count.index] },
      ]
    }),
    merge(local.container_ecs_sd, {
      command = [
        "--config.file", "${local.config_mount_path}/ecs-sd/ecs-sd-${count.index}.yaml",
        "--web.listen-address", "0.0.0.0:${local.ports.ecs_sd}",
      ]
    }),
  ])

  volume {
    name = "config"
  }

  lifecycle {
    precondition {
      condition     = local.members_source != null
      error_message = "sources must include one read with the task role in this account and region: the pool's members (the scrapers) run here."
    }
  }

  tags = local.tags
}

resource "aws_ecs_service" "ecs_sd" {
  count = var.ecs_sd_replicas

  name            = "${var.name}-ecs-sd-${count.index}"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.ecs_sd[count.index].arn
  desired_count   = 1
  launch_type     = "FARGATE"

  # The new task answers before the old one stops; the other replicas answer meanwhile too.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.ecs_sd.id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.ecs_sd.arn
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = local.tags

  depends_on = [aws_s3_object.rendered, aws_iam_role_policy.ecs_sd_discovery]
}

# --- the scrapers: N agents; their task definition family names the pool's members

resource "aws_ecs_task_definition" "scraper" {
  family                   = local.scraper_family
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = tostring(var.scraper_size.cpu)
  memory                   = tostring(var.scraper_size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.scraper.arn

  container_definitions = jsonencode([
    merge(local.container_config, {
      # The agent runs as nobody: hand it the task-scoped write-ahead log volume.
      command = ["${local.container_config.command[0]} && chown 65534:65534 ${local.agent_wal_path}"]
      environment = [
        { name = "AWS_REGION", value = local.region },
        { name = "CONFIG_SHA256", value = local.agent_config_digest },
      ]
      mountPoints = concat(local.container_config.mountPoints, [
        { sourceVolume = "agent-wal", containerPath = local.agent_wal_path, readOnly = false },
      ])
    }),
    local.container_agent,
  ])

  volume {
    name = "config"
  }

  volume {
    name = "agent-wal"
  }

  tags = local.tags
}

resource "aws_ecs_service" "scraper" {
  name            = "${var.name}-prometheus-agent"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.scraper.arn
  desired_count   = var.scrapers
  launch_type     = "FARGATE"

  # New agents join the pool before old ones leave: ecs-sd moves about 1/N of the targets each time.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.scraper.id]
    assign_public_ip = false
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = local.tags

  depends_on = [aws_s3_object.rendered]
}

# --- Grafana on the store: provisioned, stateless (what is made in the UI is lost on replacement)

resource "aws_ecs_task_definition" "grafana" {
  count = local.grafana ? 1 : 0

  family                   = "${var.name}-grafana"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.grafana[0].arn

  container_definitions = jsonencode([
    merge(local.container_config, {
      environment = [
        { name = "AWS_REGION", value = local.region },
        { name = "CONFIG_SHA256", value = local.grafana_config_digest },
      ]
    }),
    local.container_grafana,
  ])

  volume {
    name = "config"
  }

  lifecycle {
    precondition {
      condition     = var.grafana_admin_password_ssm_parameter_arn != null
      error_message = "grafana_admin_password_ssm_parameter_arn must be set when grafana is on."
    }
  }

  tags = local.tags
}

resource "aws_service_discovery_service" "grafana" {
  count = local.grafana ? 1 : 0

  name = "grafana"

  dns_config {
    namespace_id   = local.cloud_map_namespace_id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }

  tags = local.tags
}

resource "aws_ecs_service" "grafana" {
  count = local.grafana ? 1 : 0

  name            = "${var.name}-grafana"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.grafana[0].arn
  desired_count   = 1
  launch_type     = "FARGATE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.grafana[0].id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.grafana[0].arn
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = local.tags

  depends_on = [aws_s3_object.rendered, aws_s3_object.dashboard]
}
