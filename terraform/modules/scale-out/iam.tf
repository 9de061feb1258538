# Least privilege, one role per kind of task. ecs-sd's discovery policy is exactly ecs-sd's
# DISCOVERY_IAM_ACTIONS (packages/ecs-sd/src/aws/iam.ts); a test asserts it. The scrapers may only
# write to the AMP workspace, Grafana only query it; all three read their configuration.

locals {
  role_arns = distinct(compact([for s in var.sources : s.role_arn]))
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

# The task execution role of every task: pull images, write logs, read Grafana's admin password.
resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-execution-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  count = local.grafana ? 1 : 0

  statement {
    sid       = "GrafanaAdminPassword"
    actions   = ["ssm:GetParameters"]
    resources = compact([var.grafana_admin_password_ssm_parameter_arn])
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = local.grafana ? 1 : 0

  name   = "grafana-admin-password"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets[0].json
}

data "aws_iam_policy_document" "config_read" {
  statement {
    sid       = "ListConfig"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.config.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.config_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadConfig"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.config.arn}/${local.config_prefix}/*"]
  }
}

# --- ecs-sd: discovery, the replicas' queues, cross-account roles, config reads

resource "aws_iam_role" "ecs_sd" {
  name_prefix        = "${var.name}-ecs-sd-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "ecs_sd_discovery" {
  statement {
    sid = "EcsSdDiscovery"
    actions = [
      "ecs:ListClusters",
      "ecs:DescribeClusters",
      "ecs:ListServices",
      "ecs:DescribeServices",
      "ecs:ListTasks",
      "ecs:DescribeTasks",
      "ecs:DescribeTaskDefinition",
      "ecs:DescribeContainerInstances",
      "ec2:DescribeInstances",
      "ssm:DescribeInstanceInformation",
    ]
    # These read actions do not support resource-level permissions.
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ecs_sd_discovery" {
  name   = "ecs-sd-discovery"
  role   = aws_iam_role.ecs_sd.id
  policy = data.aws_iam_policy_document.ecs_sd_discovery.json
}

data "aws_iam_policy_document" "ecs_sd_events" {
  count = var.event_mode ? 1 : 0

  statement {
    sid = "EcsSdEvents"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
    ]
    resources = aws_sqs_queue.events[*].arn
  }
}

resource "aws_iam_role_policy" "ecs_sd_events" {
  count = var.event_mode ? 1 : 0

  name   = "ecs-sd-events"
  role   = aws_iam_role.ecs_sd.id
  policy = data.aws_iam_policy_document.ecs_sd_events[0].json
}

data "aws_iam_policy_document" "ecs_sd_assume_role" {
  count = length(local.role_arns) > 0 ? 1 : 0

  statement {
    sid       = "EcsSdCrossAccount"
    actions   = ["sts:AssumeRole"]
    resources = local.role_arns
  }
}

resource "aws_iam_role_policy" "ecs_sd_assume_role" {
  count = length(local.role_arns) > 0 ? 1 : 0

  name   = "ecs-sd-cross-account"
  role   = aws_iam_role.ecs_sd.id
  policy = data.aws_iam_policy_document.ecs_sd_assume_role[0].json
}

resource "aws_iam_role_policy" "ecs_sd_config_read" {
  name   = "config-read"
  role   = aws_iam_role.ecs_sd.id
  policy = data.aws_iam_policy_document.config_read.json
}

# --- the scrapers: config reads and remote_write to the AMP workspace

resource "aws_iam_role" "scraper" {
  name_prefix        = "${var.name}-agent-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "scraper_config_read" {
  name   = "config-read"
  role   = aws_iam_role.scraper.id
  policy = data.aws_iam_policy_document.config_read.json
}

data "aws_iam_policy_document" "remote_write" {
  count = local.amp ? 1 : 0

  statement {
    sid       = "PrometheusRemoteWrite"
    actions   = ["aps:RemoteWrite"]
    resources = [local.workspace_arn]
  }
}

resource "aws_iam_role_policy" "remote_write" {
  count = local.amp ? 1 : 0

  name   = "prometheus-remote-write"
  role   = aws_iam_role.scraper.id
  policy = data.aws_iam_policy_document.remote_write[0].json
}

# --- Grafana: config reads and queries of the AMP workspace

resource "aws_iam_role" "grafana" {
  count = local.grafana ? 1 : 0

  name_prefix        = "${var.name}-grafana-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "grafana_config_read" {
  count = local.grafana ? 1 : 0

  name   = "config-read"
  role   = aws_iam_role.grafana[0].id
  policy = data.aws_iam_policy_document.config_read.json
}

data "aws_iam_policy_document" "grafana_query" {
  count = local.grafana && local.amp ? 1 : 0

  statement {
    sid       = "QueryAmp"
    actions   = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]
    resources = [local.workspace_arn]
  }
}

resource "aws_iam_role_policy" "grafana_query" {
  count = local.grafana && local.amp ? 1 : 0

  name   = "grafana-query-amp"
  role   = aws_iam_role.grafana[0].id
  policy = data.aws_iam_policy_document.grafana_query[0].json
}
