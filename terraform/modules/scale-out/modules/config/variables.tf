variable "monitoring_dir" {
  description = "Directory of the monitoring content: prometheus/prometheus-agent.yml and alertmanager/alertmanager.yml are read from it."
  type        = string

  validation {
    condition     = fileexists("${var.monitoring_dir}/prometheus/prometheus-agent.yml") && fileexists("${var.monitoring_dir}/alertmanager/alertmanager.yml")
    error_message = "monitoring_dir must contain prometheus/prometheus-agent.yml and alertmanager/alertmanager.yml."
  }
}

variable "http_sd_url" {
  description = "The pool's http_sd URL as the agents reach it (replaces http://ecs-sd:9888/http-sd?pool=agents)."
  type        = string

  validation {
    condition     = can(regex("^http://[^/]+:[0-9]+/http-sd\\?pool=[a-zA-Z0-9_-]+$", var.http_sd_url))
    error_message = "http_sd_url must be http://<host>:<port>/http-sd?pool=<pool>."
  }
}

variable "remote_write" {
  description = "Where the agents write: url, sigv4 (sign for Amazon Managed Service for Prometheus in region) and headers (e.g. X-Scope-OrgID for Mimir)."
  type = object({
    url     = string
    sigv4   = bool
    headers = optional(map(string), {})
  })

  validation {
    condition     = can(regex("^https?://", var.remote_write.url))
    error_message = "remote_write.url must be an http(s) URL."
  }
}

variable "region" {
  description = "Region for SigV4 signing (remote_write and queries to AMP, SNS notifications)."
  type        = string

  validation {
    condition     = length(var.region) > 0
    error_message = "region must not be empty."
  }
}

variable "external_labels" {
  description = "External labels added to the agent config's own (prometheus: ecs)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.external_labels) : can(regex("^[a-zA-Z_][a-zA-Z0-9_]*$", k))])
    error_message = "external_labels must have Prometheus label names as keys."
  }
}

variable "topic_arn" {
  description = "SNS topic every receiver of AMP's alert manager publishes to; null renders no alert manager definition."
  type        = string
  default     = null

  validation {
    condition     = var.topic_arn == null || can(regex("^arn:[a-z-]+:sns:", var.topic_arn))
    error_message = "topic_arn must be null or an SNS topic ARN."
  }
}

variable "grafana_datasource" {
  description = "Grafana's data source on the store: its Prometheus query URL, SigV4 for AMP, and headers; null renders none."
  type = object({
    url     = string
    sigv4   = bool
    headers = optional(map(string), {})
  })
  default = null

  validation {
    condition     = var.grafana_datasource == null || can(regex("^https?://", var.grafana_datasource.url))
    error_message = "grafana_datasource must be null or have an http(s) url."
  }
}

variable "dashboards_dir" {
  description = "Directory of the dashboard JSON files inside the Grafana container."
  type        = string

  validation {
    condition     = startswith(var.dashboards_dir, "/")
    error_message = "dashboards_dir must be an absolute path."
  }
}
