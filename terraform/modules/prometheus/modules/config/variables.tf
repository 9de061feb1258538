variable "monitoring_dir" {
  description = "Directory of the monitoring content: prometheus/, alertmanager/ and grafana/provisioning/ are read from it."
  type        = string

  validation {
    condition     = fileexists("${var.monitoring_dir}/prometheus/prometheus.yml") && fileexists("${var.monitoring_dir}/alertmanager/alertmanager.yml")
    error_message = "monitoring_dir must contain prometheus/prometheus.yml and alertmanager/alertmanager.yml."
  }
}

variable "discovery_output" {
  description = "file_sd (prometheus/prometheus.yml) or http_sd (prometheus/prometheus-http-sd.yml) as the base."
  type        = string

  validation {
    condition     = contains(["file_sd", "http_sd"], var.discovery_output)
    error_message = "discovery_output must be file_sd or http_sd."
  }
}

variable "stack" {
  description = "Stack name, added as the external label stack and to notification subjects."
  type        = string

  validation {
    condition     = length(var.stack) > 0
    error_message = "stack must not be empty."
  }
}

variable "file_sd_dir" {
  description = "Directory where Prometheus finds ecs-sd's file_sd files (replaces /var/lib/ecs-sd)."
  type        = string

  validation {
    condition     = startswith(var.file_sd_dir, "/") && !endswith(var.file_sd_dir, "/")
    error_message = "file_sd_dir must be an absolute path without a trailing slash."
  }
}

variable "ecs_sd_listen" {
  description = "host:port of ecs-sd as Prometheus reaches it (replaces ecs-sd:9888)."
  type        = string

  validation {
    condition     = can(regex("^[^:]+:[0-9]+$", var.ecs_sd_listen))
    error_message = "ecs_sd_listen must be host:port."
  }
}

variable "alertmanager_port" {
  description = "Port of the Alertmanager in the same task (Prometheus alerts localhost on it)."
  type        = number

  validation {
    condition     = var.alertmanager_port > 0 && var.alertmanager_port < 65536
    error_message = "alertmanager_port must be a TCP port."
  }
}

variable "prometheus_port" {
  description = "Port of Prometheus in the same task (Grafana's data source)."
  type        = number

  validation {
    condition     = var.prometheus_port > 0 && var.prometheus_port < 65536
    error_message = "prometheus_port must be a TCP port."
  }
}

variable "rule_dir" {
  description = "Directory of the rule files inside the Prometheus container."
  type        = string

  validation {
    condition     = startswith(var.rule_dir, "/")
    error_message = "rule_dir must be an absolute path."
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

variable "remote_write" {
  description = "Optional remote_write target; sigv4 signs the requests for Amazon Managed Service for Prometheus."
  type = object({
    url   = string
    sigv4 = bool
  })
  default = null

  validation {
    condition     = var.remote_write == null || can(regex("^https?://", var.remote_write.url))
    error_message = "remote_write.url must be an http(s) URL."
  }
}

variable "region" {
  description = "Region for SigV4 signing (remote_write to AMP, SNS notifications)."
  type        = string

  validation {
    condition     = length(var.region) > 0
    error_message = "region must not be empty."
  }
}

variable "topic_arn" {
  description = "SNS topic every Alertmanager receiver publishes to."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sns:", var.topic_arn))
    error_message = "topic_arn must be an SNS topic ARN."
  }
}
