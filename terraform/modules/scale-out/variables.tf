variable "name" {
  description = "Name of the scale-out topology: names the ECS cluster (where the scrapers run) and prefixes the roles, security groups, queues, log group and AMP workspace."
  type        = string
  default     = "scale-out"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name))
    error_message = "name must be 1-24 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the tasks (ecs-sd, the scrapers, Grafana)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the tasks, with a route to the AWS APIs, the image registries and the store (NAT gateway or VPC endpoints); Fargate spreads the tasks over their zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least one subnet id such as subnet-0123456789abcdef0."
  }
}

variable "sources" {
  description = "Where ecs-sd discovers: one entry per account and region. role_arn (and external_id) make it a cross-account source; clusters limits it to named clusters. Empty means this account and region, all clusters. The first source read with the task role in this region also reads this module's cluster, where the pool's members run."
  type = list(object({
    name        = string
    region      = optional(string)
    role_arn    = optional(string)
    external_id = optional(string)
    clusters    = optional(list(string))
  }))
  default = []

  validation {
    condition     = length(distinct([for s in var.sources : s.name])) == length(var.sources)
    error_message = "sources must have unique names."
  }

  validation {
    condition     = length(var.sources) == 0 || anytrue([for s in var.sources : s.role_arn == null])
    error_message = "sources must include one without role_arn: the pool's members (the scrapers) run in this account."
  }

  validation {
    condition     = alltrue([for s in var.sources : s.role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", s.role_arn))])
    error_message = "sources[].role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/ecs-sd."
  }

  validation {
    condition     = alltrue([for s in var.sources : s.region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", s.region))])
    error_message = "sources[].region must be a region code such as eu-west-1."
  }
}

variable "refresh_interval" {
  description = "How often ecs-sd re-reads the ECS APIs (refresh_interval in its config)."
  type        = string
  default     = "60s"

  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.refresh_interval))
    error_message = "refresh_interval must be a duration such as 60s or 5m."
  }
}

variable "event_mode" {
  description = "Give each ecs-sd replica an SQS queue fed by an EventBridge rule for aws.ecs task and container instance state changes (this account and region), so target and pool changes show up within seconds."
  type        = bool
  default     = false
}

variable "ecs_sd_replicas" {
  description = "ecs-sd replicas, each an ECS service of one task behind the Cloud Map name ecs-sd; ha.replicas gives each 1/N of the rate budget."
  type        = number
  default     = 2

  validation {
    condition     = var.ecs_sd_replicas >= 1 && var.ecs_sd_replicas <= 5 && floor(var.ecs_sd_replicas) == var.ecs_sd_replicas
    error_message = "ecs_sd_replicas must be a whole number from 1 to 5."
  }
}

variable "scrapers" {
  description = "Scraper tasks (Prometheus in agent mode); each scrapes about 1/N of the targets."
  type        = number
  default     = 2

  validation {
    condition     = var.scrapers >= 1 && var.scrapers <= 100 && floor(var.scrapers) == var.scrapers
    error_message = "scrapers must be a whole number from 1 to 100."
  }
}

variable "replication" {
  description = "Scrapers per target (the pool's replication); 2 needs a store that deduplicates identical series, and at least 2 scrapers."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2, 3], var.replication)
    error_message = "replication must be 1, 2 or 3."
  }
}

variable "pool_name" {
  description = "Name of the pool in ecs-sd's config and the scrapers' http_sd URL (?pool=)."
  type        = string
  default     = "agents"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]+$", var.pool_name))
    error_message = "pool_name must match [a-zA-Z0-9_-]+."
  }
}

variable "store" {
  description = "Where the scrapers write and the rules are evaluated. kind amp: Amazon Managed Service for Prometheus, a new workspace unless amp_workspace_id names one. kind remote-write: any remote_write receiver (remote_write_url) with a Prometheus query API for Grafana (query_url); headers go on both (X-Scope-OrgID for Mimir)."
  type = object({
    kind             = string
    amp_workspace_id = optional(string)
    remote_write_url = optional(string)
    query_url        = optional(string)
    headers          = optional(map(string), {})
  })
  default = { kind = "amp" }

  validation {
    condition     = contains(["amp", "remote-write"], var.store.kind)
    error_message = "store.kind must be amp or remote-write."
  }

  validation {
    condition     = var.store.kind != "remote-write" || can(regex("^https?://[^/]", var.store.remote_write_url))
    error_message = "store.remote_write_url must be an http(s) URL when store.kind is remote-write."
  }

  validation {
    condition     = var.store.query_url == null || can(regex("^https?://[^/]", var.store.query_url))
    error_message = "store.query_url must be null or an http(s) URL."
  }

  validation {
    condition     = var.store.amp_workspace_id == null || can(regex("^ws-[0-9a-f-]+$", var.store.amp_workspace_id))
    error_message = "store.amp_workspace_id must be null or a workspace id such as ws-01234567-89ab-cdef-0123-456789abcdef."
  }
}

variable "external_labels" {
  description = "External labels of the scrapers, added to the agent config's prometheus: ecs (e.g. region, environment)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.external_labels) : can(regex("^[a-zA-Z_][a-zA-Z0-9_]*$", k))])
    error_message = "external_labels must have Prometheus label names as keys."
  }
}

variable "alert_sns_topic_arn" {
  description = "SNS topic the alert manager of a created AMP workspace publishes to (its policy must let aps.amazonaws.com publish). Null creates one, encrypted with a KMS key AMP may use."
  type        = string
  default     = null

  validation {
    condition     = var.alert_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alert_sns_topic_arn))
    error_message = "alert_sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "grafana" {
  description = "Run Grafana on the store (a remote-write store needs store.query_url)."
  type        = bool
  default     = true
}

variable "grafana_admin_password_ssm_parameter_arn" {
  description = "ARN of an SSM SecureString parameter holding Grafana's admin password (injected as a secret, never in the task definition); required with grafana."
  type        = string
  default     = null

  validation {
    condition     = var.grafana_admin_password_ssm_parameter_arn == null || can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.grafana_admin_password_ssm_parameter_arn))
    error_message = "grafana_admin_password_ssm_parameter_arn must be null or an SSM parameter ARN."
  }
}

variable "ingress_cidr_blocks" {
  description = "CIDR blocks allowed to reach Grafana (3000). Empty opens nothing."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "ingress_cidr_blocks must contain CIDR blocks such as 10.1.0.0/16."
  }
}

variable "ingress_security_group_ids" {
  description = "Security groups allowed to reach Grafana (3000), e.g. a load balancer's or a bastion's."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.ingress_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "ingress_security_group_ids must contain security group ids such as sg-0123456789abcdef0."
  }
}

variable "cloud_map_namespace_id" {
  description = "Existing Cloud Map private DNS namespace to register ecs-sd and Grafana in. Null creates one named cloud_map_namespace_name."
  type        = string
  default     = null

  validation {
    condition     = var.cloud_map_namespace_id == null || can(regex("^ns-[0-9a-z]+$", var.cloud_map_namespace_id))
    error_message = "cloud_map_namespace_id must be null or a namespace id such as ns-abcdefghijklmnop."
  }
}

variable "cloud_map_namespace_name" {
  description = "Name of the private DNS namespace: the one created when cloud_map_namespace_id is null, else the name of that namespace. ecs-sd answers at ecs-sd.<name>, Grafana at grafana.<name>."
  type        = string
  default     = "monitoring.internal"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.cloud_map_namespace_name))
    error_message = "cloud_map_namespace_name must be a DNS name such as monitoring.internal."
  }
}

variable "monitoring_dir" {
  description = "Directory of the monitoring content (agent config, rules, Alertmanager routes, dashboards). Null means the repository's monitoring/ folder next to terraform/."
  type        = string
  default     = null
}

variable "rule_files" {
  description = "fileset() patterns, relative to monitoring_dir, of the rule files loaded into AMP, one rule groups namespace each."
  type        = list(string)
  default     = ["rules/*.yml", "rules/*.yaml"]

  validation {
    condition     = alltrue([for p in var.rule_files : !startswith(p, "/") && !strcontains(p, "..")])
    error_message = "rule_files must be relative patterns inside monitoring_dir."
  }
}

variable "dashboard_files" {
  description = "fileset() patterns, relative to monitoring_dir, of Grafana dashboard JSON files to deliver."
  type        = list(string)
  default     = ["grafana/dashboards/*.json"]

  validation {
    condition     = alltrue([for p in var.dashboard_files : !startswith(p, "/") && !strcontains(p, "..")])
    error_message = "dashboard_files must be relative patterns inside monitoring_dir."
  }
}

variable "ecs_sd_image" {
  description = "ecs-sd container image (built from packages/ecs-sd/Dockerfile and pushed to your registry), pinned by tag or digest."
  type        = string

  validation {
    condition     = length(var.ecs_sd_image) > 0 && !endswith(var.ecs_sd_image, ":latest")
    error_message = "ecs_sd_image must be a pinned image reference, not empty and not :latest."
  }
}

variable "images" {
  description = "Images of the other containers, pinned by tag (Prometheus 3: the agents run with --agent)."
  type = object({
    prometheus    = optional(string, "quay.io/prometheus/prometheus:v3.5.0")
    grafana       = optional(string, "docker.io/grafana/grafana:12.1.1")
    config_loader = optional(string, "public.ecr.aws/aws-cli/aws-cli:2.32.9")
  })
  default = {}

  validation {
    condition     = alltrue([for i in values(var.images) : !endswith(i, ":latest")])
    error_message = "images must be pinned, not :latest."
  }
}

variable "ecs_sd_size" {
  description = "Fargate CPU units and memory (MiB) of an ecs-sd replica task."
  type = object({
    cpu    = optional(number, 256)
    memory = optional(number, 512)
  })
  default = {}

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.ecs_sd_size.cpu) && var.ecs_sd_size.memory >= 512
    error_message = "ecs_sd_size must be a Fargate size: cpu 256 to 4096, memory at least 512."
  }
}

variable "scraper_size" {
  description = "Fargate CPU units and memory (MiB) of a scraper task; an agent needs roughly 2-4 KiB per active series of its share."
  type = object({
    cpu    = optional(number, 512)
    memory = optional(number, 1024)
  })
  default = {}

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.scraper_size.cpu) && var.scraper_size.memory >= 512
    error_message = "scraper_size must be a Fargate size: cpu 256 to 16384, memory at least 512."
  }
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights on the cluster (billed per metric)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log group of the containers."
  type        = number
  default     = 30

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
