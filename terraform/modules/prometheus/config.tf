# Prometheus, Alertmanager and Grafana provisioning come from monitoring/, adapted to the task by the
# provider-less submodule modules/config (also rendered on its own by the tests for promtool and amtool).
module "config" {
  source = "./modules/config"

  monitoring_dir    = local.monitoring_dir
  discovery_output  = var.discovery_output
  stack             = var.name
  file_sd_dir       = local.file_sd_mount_path
  ecs_sd_listen     = local.ecs_sd_listen
  alertmanager_port = local.ports.alertmanager
  prometheus_port   = local.ports.prometheus
  rule_dir          = "${local.config_mount_path}/prometheus/rules"
  dashboards_dir    = "${local.config_mount_path}/grafana/dashboards"
  region            = local.region
  topic_arn         = local.alert_sns_topic_arn
  remote_write = var.remote_write == null ? null : {
    url   = var.remote_write.url
    sigv4 = try(var.remote_write.amp_workspace_arn, null) != null
  }
}

# The configuration reaches the task as S3 objects: a "config" init container syncs the prefix into a
# task-scoped volume that the other containers mount read-only. Dashboards are too large for SSM
# parameters (8 KiB) and for the 64 KiB task definition, so S3 it is.

locals {
  config_prefix = "config"

  ecs_sd_sources = length(var.sources) > 0 ? var.sources : [{
    name        = "default"
    region      = null
    role_arn    = null
    external_id = null
    clusters    = null
  }]

  # ecs-sd's configuration, in one place: adjust here when its keys move.
  ecs_sd_config = {
    refresh_interval = var.refresh_interval
    sources = [
      for s in local.ecs_sd_sources : {
        for k, v in {
          name        = s.name
          region      = coalesce(s.region, local.region)
          role_arn    = s.role_arn
          external_id = s.external_id
          clusters    = s.clusters
          # Events reach the queue from this account and region only.
          events = var.event_mode && s.role_arn == null && coalesce(s.region, local.region) == local.region ? { queue_url = aws_sqs_queue.events[0].url } : null
        } : k => v if v != null
      }
    ]
  }

  rule_files = toset(flatten([for p in var.rule_files : fileset(local.monitoring_dir, p)]))
  dashboards = toset(flatten([for p in var.dashboard_files : fileset(local.monitoring_dir, p)]))

  # Files rendered from this module's templates, keyed by their path under the config mount.
  rendered_config = {
    "ecs-sd/ecs-sd.yaml"                              = templatefile("${path.module}/templates/ecs-sd.yaml.tftpl", { config = local.ecs_sd_config })
    "prometheus/prometheus.yml"                       = module.config.prometheus_yml
    "alertmanager/alertmanager.yml"                   = module.config.alertmanager_yml
    "grafana/provisioning/datasources/prometheus.yml" = module.config.grafana_datasources_yml
    "grafana/provisioning/dashboards/ecs-sd.yml"      = module.config.grafana_dashboards_yml
  }

  # A digest of everything delivered: part of the task definition, so a change redeploys the task.
  config_digest = sha256(join("\n", concat(
    [for k in sort(keys(local.rendered_config)) : "${k}=${sha256(local.rendered_config[k])}"],
    [for f in sort(tolist(local.rule_files)) : "rule:${f}=${filesha256("${local.monitoring_dir}/${f}")}"],
    [for f in sort(tolist(local.dashboards)) : "dashboard:${f}=${filesha256("${local.monitoring_dir}/${f}")}"],
  )))
}

resource "aws_s3_bucket" "config" {
  bucket_prefix = "${var.name}-config-"
  force_destroy = true
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "config" {
  bucket                  = aws_s3_bucket.config.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "config" {
  bucket = aws_s3_bucket.config.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_object" "rendered" {
  for_each = local.rendered_config

  bucket       = aws_s3_bucket.config.id
  key          = "${local.config_prefix}/${each.key}"
  content      = each.value
  content_type = "application/yaml"
  tags         = local.tags
}

resource "aws_s3_object" "rule" {
  for_each = local.rule_files

  bucket       = aws_s3_bucket.config.id
  key          = "${local.config_prefix}/prometheus/rules/${basename(each.value)}"
  source       = "${local.monitoring_dir}/${each.value}"
  source_hash  = filemd5("${local.monitoring_dir}/${each.value}")
  content_type = "application/yaml"
  tags         = local.tags
}

resource "aws_s3_object" "dashboard" {
  for_each = local.dashboards

  bucket       = aws_s3_bucket.config.id
  key          = "${local.config_prefix}/grafana/dashboards/${basename(each.value)}"
  source       = "${local.monitoring_dir}/${each.value}"
  source_hash  = filemd5("${local.monitoring_dir}/${each.value}")
  content_type = "application/json"
  tags         = local.tags
}
