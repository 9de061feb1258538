# Adapts the monitoring/ configuration to the ECS task: same jobs, relabelling, rules and routes,
# with the task's addresses (ecs-sd and Alertmanager on localhost, file_sd in the shared volume),
# the replica label, optional remote_write, and every Alertmanager receiver publishing to SNS.
# No provider: everything here is a pure function of the inputs and the files.

locals {
  prometheus_source = var.discovery_output == "http_sd" ? "prometheus/prometheus-http-sd.yml" : "prometheus/prometheus.yml"

  # The monitoring files name the services of a compose-style layout; the task has them on localhost.
  prometheus_file = file("${var.monitoring_dir}/${local.prometheus_source}")
  # (A search string between slashes would be a regular expression: no trailing slash here.)
  prometheus_paths = replace(local.prometheus_file, "/var/lib/ecs-sd", var.file_sd_dir)
  prometheus_sd    = replace(local.prometheus_paths, "ecs-sd:9888", var.ecs_sd_listen)
  prometheus_text  = replace(local.prometheus_sd, "alertmanager:9093", "localhost:${var.alertmanager_port}")
  prometheus_base  = yamldecode(local.prometheus_text)

  remote_write = var.remote_write == null ? [] : [
    merge(
      { url = var.remote_write.url },
      { for k, v in { sigv4 = { region = var.region } } : k => v if var.remote_write.sigv4 },
    )
  ]

  prometheus = merge(
    local.prometheus_base,
    {
      global = merge(local.prometheus_base.global, {
        external_labels = merge(try(local.prometheus_base.global.external_labels, {}), {
          stack = var.stack
          # REPLICA is the task's availability zone (expanded by --enable-feature=expand-external-labels).
          prometheus_replica = "$${REPLICA}"
        })
      })
      rule_files = ["${var.rule_dir}/*.yml", "${var.rule_dir}/*.yaml"]
      alerting = merge(try(local.prometheus_base.alerting, {}), {
        # The Alertmanager of the same task; the Alertmanagers of an HA pair gossip and deduplicate.
        alertmanagers = [{ static_configs = [{ targets = ["localhost:${var.alertmanager_port}"] }] }]
      })
    },
    { for k, v in { remote_write = local.remote_write } : k => v if length(local.remote_write) > 0 },
  )

  alertmanager_base = yamldecode(file("${var.monitoring_dir}/alertmanager/alertmanager.yml"))

  # The routing tree stays; every receiver it names publishes to the SNS topic.
  alertmanager = {
    global        = { resolve_timeout = try(local.alertmanager_base.global.resolve_timeout, "5m") }
    route         = local.alertmanager_base.route
    inhibit_rules = try(local.alertmanager_base.inhibit_rules, [])
    receivers = [
      for r in local.alertmanager_base.receivers : {
        name = r.name
        sns_configs = [{
          topic_arn     = var.topic_arn
          subject       = "[${var.stack}] {{ .CommonLabels.alertname }} ({{ .Status }})"
          send_resolved = true
          sigv4         = { region = var.region }
        }]
      }
    ]
  }

  grafana_datasources = replace(
    file("${var.monitoring_dir}/grafana/provisioning/datasources/prometheus.yml"),
    "$${PROMETHEUS_URL}", "http://localhost:${var.prometheus_port}",
  )

  grafana_dashboards = replace(
    file("${var.monitoring_dir}/grafana/provisioning/dashboards/ecs-sd.yml"),
    "/var/lib/grafana/dashboards/ecs-sd", var.dashboards_dir,
  )
}
