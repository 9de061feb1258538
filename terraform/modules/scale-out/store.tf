# The store: Amazon Managed Service for Prometheus (a workspace created unless given, the monitoring
# rules as rule groups namespaces, an alert manager publishing to SNS), or any remote_write URL whose
# rules you load yourself (vmalert for VictoriaMetrics, the ruler for Mimir, Thanos Ruler).

locals {
  amp              = var.store.kind == "amp"
  create_workspace = local.amp && var.store.amp_workspace_id == null
  workspace_arn    = !local.amp ? null : local.create_workspace ? aws_prometheus_workspace.this[0].arn : data.aws_prometheus_workspace.given[0].arn
  workspace_url    = !local.amp ? null : trimsuffix(local.create_workspace ? aws_prometheus_workspace.this[0].prometheus_endpoint : data.aws_prometheus_workspace.given[0].prometheus_endpoint, "/")
  remote_write_url = local.amp ? "${local.workspace_url}/api/v1/remote_write" : var.store.remote_write_url
  query_url        = local.amp ? local.workspace_url : var.store.query_url
  # Known at plan time (from variables only), so resource counts never wait for the workspace.
  grafana = var.grafana && (local.amp || var.store.query_url != null)

  alert_sns_topic_arn = !local.create_workspace ? null : var.alert_sns_topic_arn != null ? var.alert_sns_topic_arn : aws_sns_topic.alerts[0].arn

  # One rule groups namespace per rule file: ecs-sd.rules.yml -> ecs-sd.rules.
  rule_namespaces = local.amp ? { for f in local.rule_files : trimsuffix(trimsuffix(basename(f), ".yml"), ".yaml") => f } : {}
}

resource "aws_prometheus_workspace" "this" {
  count = local.create_workspace ? 1 : 0

  alias = var.name
  tags  = local.tags
}

data "aws_prometheus_workspace" "given" {
  count = local.amp && !local.create_workspace ? 1 : 0

  workspace_id = var.store.amp_workspace_id
}

resource "aws_prometheus_rule_group_namespace" "rules" {
  for_each = local.rule_namespaces

  name         = each.key
  workspace_id = local.create_workspace ? aws_prometheus_workspace.this[0].id : var.store.amp_workspace_id
  data         = file("${local.monitoring_dir}/${each.value}")
  tags         = local.tags
}

resource "aws_prometheus_alert_manager_definition" "this" {
  count = local.create_workspace ? 1 : 0

  workspace_id = aws_prometheus_workspace.this[0].id
  definition   = module.config.alert_manager_definition
}

# A topic AMP may publish to: encrypted with a key whose policy lets the aps service use it (the AWS
# managed SNS key does not).
resource "aws_kms_key" "alerts" {
  count = local.create_workspace && var.alert_sns_topic_arn == null ? 1 : 0

  description         = "Encrypts the ${var.name} AMP alert topic; usable by Amazon Managed Service for Prometheus"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alerts_key_policy[0].json
  tags                = local.tags
}

data "aws_iam_policy_document" "alerts_key_policy" {
  count = local.create_workspace && var.alert_sns_topic_arn == null ? 1 : 0

  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AmpAlertManager"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["aps.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic" "alerts" {
  count = local.create_workspace && var.alert_sns_topic_arn == null ? 1 : 0

  name              = "${var.name}-alerts"
  kms_master_key_id = aws_kms_key.alerts[0].arn
  tags              = local.tags
}

data "aws_iam_policy_document" "alerts_topic" {
  count = local.create_workspace && var.alert_sns_topic_arn == null ? 1 : 0

  statement {
    sid       = "AmpAlertManager"
    actions   = ["sns:Publish", "sns:GetTopicAttributes"]
    resources = [aws_sns_topic.alerts[0].arn]

    principals {
      type        = "Service"
      identifiers = ["aps.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_prometheus_workspace.this[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  count = local.create_workspace && var.alert_sns_topic_arn == null ? 1 : 0

  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.alerts_topic[0].json
}
