# What ecs-sd, the agents and Grafana read: ecs-sd's configuration per replica (built here, where the
# queues are known), and monitoring/ adapted by the provider-less submodule modules/config. It all
# reaches the tasks as S3 objects that a "config" init container syncs into a task-scoped volume.

module "config" {
  source = "./modules/config"

  monitoring_dir  = local.monitoring_dir
  http_sd_url     = local.http_sd_url
  region          = local.region
  external_labels = var.external_labels
  dashboards_dir  = "${local.config_mount_path}/grafana/dashboards"
  remote_write = {
    url     = local.remote_write_url
    sigv4   = local.amp
    headers = var.store.headers
  }
  topic_arn = local.create_workspace ? local.alert_sns_topic_arn : null
  grafana_datasource = local.grafana ? {
    url     = local.query_url
    sigv4   = local.amp
    headers = var.store.headers
  } : null
}

locals {
  config_prefix = "config"

  ecs_sd_sources = length(var.sources) > 0 ? var.sources : [{
    name        = "default"
    region      = null
    role_arn    = null
    external_id = null
    clusters    = null
  }]

  # The pool's members are tasks of this account and region: the first source read with the task role here.
  members_sources = [for s in local.ecs_sd_sources : s.name if s.role_arn == null && coalesce(s.region, local.region) == local.region]
  members_source  = length(local.members_sources) > 0 ? local.members_sources[0] : null

  # ecs-sd's configuration of each replica, in one place: adjust here when its keys move.
  ecs_sd_configs = [
    for i in range(var.ecs_sd_replicas) : {
      refresh_interval = var.refresh_interval
      sources = [
        for s in local.ecs_sd_sources : {
          for k, v in {
            name        = s.name
            region      = coalesce(s.region, local.region)
            role_arn    = s.role_arn
            external_id = s.external_id
            # The members' source also reads the scrapers' cluster.
            clusters = s.clusters == null ? null : (s.name == local.members_source ? distinct(concat(s.clusters, [aws_ecs_cluster.this.name])) : s.clusters)
            # Each replica reads its own queue; events reach it from this account and region only.
            events = var.event_mode && s.role_arn == null && coalesce(s.region, local.region) == local.region ? { queue_url = aws_sqs_queue.events[i].url } : null
          } : k => v if v != null
        }
      ]
      # Each replica takes 1/N of the rate budget: N replicas cost the account what one daemon does.
      ha = { replicas = var.ecs_sd_replicas }
      pools = [{
        name = var.pool_name
        members = {
          ecs = { source = local.members_source, cluster = aws_ecs_cluster.this.name, family = local.scraper_family }
        }
        replication = var.replication
      }]
    }
  ]

  rule_files = toset(flatten([for p in var.rule_files : fileset(local.monitoring_dir, p)]))
  dashboards = toset(flatten([for p in var.dashboard_files : fileset(local.monitoring_dir, p)]))

  # Files rendered here, keyed by their path under the config mount.
  rendered_config = merge(
    { for i, c in local.ecs_sd_configs : "ecs-sd/ecs-sd-${i}.yaml" => templatefile("${path.module}/templates/ecs-sd.yaml.tftpl", { config = c }) },
    { "prometheus/prometheus-agent.yml" = module.config.agent_yml },
    local.grafana ? {
      "grafana/provisioning/datasources/store.yml" = module.config.grafana_datasources_yml
      "grafana/provisioning/dashboards/ecs-sd.yml" = module.config.grafana_dashboards_yml
    } : {},
  )

  # Digests in each task definition: a change redeploys only the tasks that read it.
  agent_config_digest  = sha256(local.rendered_config["prometheus/prometheus-agent.yml"])
  ecs_sd_config_digest = [for i in range(var.ecs_sd_replicas) : sha256(local.rendered_config["ecs-sd/ecs-sd-${i}.yaml"])]
  grafana_config_digest = sha256(join("\n", concat(
    [for k in sort(keys(local.rendered_config)) : "${k}=${sha256(local.rendered_config[k])}" if startswith(k, "grafana/")],
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

resource "aws_s3_object" "dashboard" {
  for_each = local.grafana ? local.dashboards : toset([])

  bucket       = aws_s3_bucket.config.id
  key          = "${local.config_prefix}/grafana/dashboards/${basename(each.value)}"
  source       = "${local.monitoring_dir}/${each.value}"
  source_hash  = filemd5("${local.monitoring_dir}/${each.value}")
  content_type = "application/json"
  tags         = local.tags
}
