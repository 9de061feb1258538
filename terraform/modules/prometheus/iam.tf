# Least privilege: each permission in its own policy, named for who uses it. The discovery policy
# is exactly ecs-sd's DISCOVERY_IAM_ACTIONS (packages/ecs-sd/src/aws/iam.ts); a test asserts it.

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  role_arns  = distinct(compact([for s in var.sources : s.role_arn]))
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
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

# The container instances: the ECS agent's policy plus attaching this stack's data volumes.
resource "aws_iam_role" "instance" {
  name_prefix        = "${var.name}-instance-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "instance_ecs" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "instance_ssm" {
  count = var.ssm_session_manager ? 1 : 0

  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "attach_volume" {
  statement {
    sid       = "FindDataVolume"
    actions   = ["ec2:DescribeVolumes"]
    resources = ["*"]
  }

  statement {
    sid       = "AttachTaggedDataVolume"
    actions   = ["ec2:AttachVolume"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:volume/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.volume_tag_key}"
      values   = values(local.volume_tag_value)
    }
  }

  statement {
    sid       = "AttachToStackInstance"
    actions   = ["ec2:AttachVolume"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.server_tag_key}"
      values   = [var.name]
    }
  }
}

resource "aws_iam_role_policy" "attach_volume" {
  name   = "attach-data-volume"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.attach_volume.json
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.instance.name
  tags        = local.tags
}

# The task execution role: pull images, write logs, read Grafana's admin password.
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
  statement {
    sid       = "GrafanaAdminPassword"
    actions   = ["ssm:GetParameters"]
    resources = [var.grafana_admin_password_ssm_parameter_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "grafana-admin-password"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# The task role, shared by the task's containers: discovery, events, cross-account roles, config
# download, alert notifications, remote write.
resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
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
  role   = aws_iam_role.task.id
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
    resources = [aws_sqs_queue.events[0].arn]
  }
}

resource "aws_iam_role_policy" "ecs_sd_events" {
  count = var.event_mode ? 1 : 0

  name   = "ecs-sd-events"
  role   = aws_iam_role.task.id
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
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.ecs_sd_assume_role[0].json
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

resource "aws_iam_role_policy" "config_read" {
  name   = "config-read"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.config_read.json
}

data "aws_iam_policy_document" "alertmanager_sns" {
  statement {
    sid       = "AlertmanagerNotify"
    actions   = ["sns:Publish"]
    resources = [local.alert_sns_topic_arn]
  }
}

resource "aws_iam_role_policy" "alertmanager_sns" {
  name   = "alertmanager-sns"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.alertmanager_sns.json
}

data "aws_iam_policy_document" "remote_write" {
  count = try(var.remote_write.amp_workspace_arn, null) != null ? 1 : 0

  statement {
    sid       = "PrometheusRemoteWrite"
    actions   = ["aps:RemoteWrite"]
    resources = [var.remote_write.amp_workspace_arn]
  }
}

resource "aws_iam_role_policy" "remote_write" {
  count = try(var.remote_write.amp_workspace_arn, null) != null ? 1 : 0

  name   = "prometheus-remote-write"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.remote_write[0].json
}
