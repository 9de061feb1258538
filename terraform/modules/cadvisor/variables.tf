variable "name" {
  description = "Name of the ECS service, task definition family and log group suffix."
  type        = string
  default     = "cadvisor"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,254}$", var.name))
    error_message = "name must start with a letter and contain only letters, digits, hyphens and underscores."
  }
}

variable "cluster_arn" {
  description = "ARN of the monitored ECS cluster (EC2 or external capacity): cAdvisor runs once on each of its container instances."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN such as arn:aws:ecs:eu-west-1:123456789012:cluster/prod."
  }
}

variable "image" {
  description = "cAdvisor image, pinned by tag."
  type        = string
  default     = "gcr.io/cadvisor/cadvisor:v0.49.1"

  validation {
    condition     = length(var.image) > 0 && !endswith(var.image, ":latest")
    error_message = "image must be a pinned image reference, not :latest."
  }
}

variable "port" {
  description = "Host port cAdvisor listens on (host network mode), advertised to ecs-sd as PROMETHEUS_PORT."
  type        = number
  default     = 8080

  validation {
    condition     = var.port >= 1024 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a whole number from 1024 to 65535."
  }
}

variable "scrape_interval" {
  description = "Scrape interval ecs-sd assigns (PROMETHEUS_ENDPOINT), one of 15s, 30s, 1m, 5m."
  type        = string
  default     = "1m"

  validation {
    condition     = contains(["15s", "30s", "1m", "5m"], var.scrape_interval)
    error_message = "scrape_interval must be one of 15s, 30s, 1m, 5m."
  }
}

variable "extra_args" {
  description = "Additional cAdvisor flags, e.g. [\"--disable_root_cgroup_stats=true\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.extra_args : startswith(a, "-")])
    error_message = "extra_args must be flags starting with -."
  }
}

variable "cpu" {
  description = "CPU units reserved on each instance."
  type        = number
  default     = 128

  validation {
    condition     = var.cpu >= 0 && var.cpu <= 10240
    error_message = "cpu must be from 0 to 10240 units."
  }
}

variable "memory_mib" {
  description = "Memory reservation (MiB) on each instance."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_mib >= 16
    error_message = "memory_mib must be at least 16."
  }
}

variable "instance_security_group_ids" {
  description = "Security groups of the monitored cluster's container instances: each gets an ingress rule for the port from prometheus_security_group_id."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.instance_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "instance_security_group_ids must contain security group ids such as sg-0123456789abcdef0."
  }
}

variable "prometheus_security_group_id" {
  description = "Security group of the Prometheus tasks (output of the prometheus module), the only source allowed to scrape."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.prometheus_security_group_id))
    error_message = "prometheus_security_group_id must be a security group id such as sg-0123456789abcdef0."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log group."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
