# Adapts the monitoring/ content to the scale-out topology: the agents' configuration
# (prometheus/prometheus-agent.yml, every http_sd on ecs-sd pointed at the pool, remote_write to the
# store), the alert manager definition of an Amazon Managed Service for Prometheus workspace (the
# routes of alertmanager/alertmanager.yml, every receiver on SNS) and Grafana's data source on the
# store. No provider: everything here is a pure function of the inputs and the files.

locals {
  agent_base = yamldecode(file("${var.monitoring_dir}/prometheus/prometheus-agent.yml"))

  # monitoring/ names ecs-sd as in a compose layout; the agents reach it by its Cloud Map name.
  agent_jobs = [
    for job in local.agent_base.scrape_configs : merge(job, {
      for k, v in {
        http_sd_configs = [
          for sd in try(job.http_sd_configs, []) : can(regex("^https?://ecs-sd:[0-9]+/http-sd", sd.url)) ? merge(sd, { url = var.http_sd_url }) : sd
        ]
      } : k => v if can(job.http_sd_configs)
    })
  ]

  remote_write = [
    merge(
      { url = var.remote_write.url },
      { for k, v in { sigv4 = { region = var.region } } : k => v if var.remote_write.sigv4 },
      { for k, v in { headers = var.remote_write.headers } : k => v if length(var.remote_write.headers) > 0 },
    )
  ]

  agent = merge(local.agent_base, {
    global = merge(local.agent_base.global, {
      external_labels = merge(try(local.agent_base.global.external_labels, {}), var.external_labels)
    })
    scrape_configs = local.agent_jobs
    remote_write   = local.remote_write
  })

  alertmanager_base = yamldecode(file("${var.monitoring_dir}/alertmanager/alertmanager.yml"))

  # AMP's alert manager supports SNS receivers only: the routing tree stays, every receiver publishes.
  alertmanager = var.topic_arn == null ? null : {
    global        = { resolve_timeout = try(local.alertmanager_base.global.resolve_timeout, "5m") }
    route         = local.alertmanager_base.route
    inhibit_rules = try(local.alertmanager_base.inhibit_rules, [])
    receivers = [
      for r in local.alertmanager_base.receivers : {
        name = r.name
        sns_configs = [{
          topic_arn     = var.topic_arn
          send_resolved = true
          sigv4         = { region = var.region }
        }]
      }
    ]
  }

  headers = var.grafana_datasource == null ? [] : sort(keys(var.grafana_datasource.headers))

  grafana_datasources = var.grafana_datasource == null ? null : {
    apiVersion = 1
    datasources = [merge(
      {
        name      = "Prometheus"
        uid       = "prometheus"
        type      = "prometheus"
        access    = "proxy"
        isDefault = true
        url       = var.grafana_datasource.url
        jsonData = merge(
          { httpMethod = "POST" },
          { for k, v in { sigV4Auth = true, sigV4AuthType = "default", sigV4Region = var.region } : k => v if var.grafana_datasource.sigv4 },
          { for i, name in local.headers : "httpHeaderName${i + 1}" => name },
        )
      },
      { for k, v in { secureJsonData = { for i, name in local.headers : "httpHeaderValue${i + 1}" => var.grafana_datasource.headers[name] } } : k => v if length(local.headers) > 0 },
    )]
  }

  grafana_dashboards = {
    apiVersion = 1
    providers = [{
      name            = "ecs-sd"
      type            = "file"
      disableDeletion = true
      allowUiUpdates  = false
      options         = { path = var.dashboards_dir, foldersFromFilesStructure = true }
    }]
  }
}
