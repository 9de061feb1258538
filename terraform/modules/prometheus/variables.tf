variable "name" {
  description = "Name of the monitoring stack: prefixes the ECS cluster, roles, security groups, queue and log group."
  type        = string
  default     = "monitoring"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name)) && !can(regex("^(aws|ecs|fargate)", var.name))
    error_message = "name must be 1-24 characters of lowercase letters, digits and hyphens, starting with a letter and not with aws, ecs or fargate (capacity provider names may not)."
  }
}

variable "vpc_id" {
  description = "VPC the Prometheus servers run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets, one per availability zone: one Prometheus server (instance, EBS volume, ECS service) runs in each. Two subnets in two zones make an HA pair."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && length(var.subnet_ids) <= 3
    error_message = "subnet_ids must list 1 to 3 subnets (one server per availability zone)."
  }

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must contain subnet ids such as subnet-0123456789abcdef0."
  }

  validation {
    condition     = length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must not repeat a subnet."
  }
}

variable "instance_type" {
  description = "EC2 instance type of each Prometheus server; the four containers share it (see memory_mib)."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.medium."
  }
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the ECS-optimized AMI of the servers."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/aws/service/ecs/")
    error_message = "ami_ssm_parameter must be one of the public /aws/service/ecs/ parameters."
  }
}

variable "data_volume_size_gib" {
  description = "Size in GiB of each server's persistent EBS volume holding Prometheus, Alertmanager and Grafana data."
  type        = number
  default     = 50

  validation {
    condition     = var.data_volume_size_gib >= 10 && var.data_volume_size_gib <= 16384 && floor(var.data_volume_size_gib) == var.data_volume_size_gib
    error_message = "data_volume_size_gib must be a whole number from 10 to 16384."
  }
}

variable "data_volume_type" {
  description = "EBS volume type of the data volume."
  type        = string
  default     = "gp3"

  validation {
    condition     = contains(["gp3", "gp2", "io2", "st1"], var.data_volume_type)
    error_message = "data_volume_type must be one of gp3, gp2, io2, st1."
  }
}

variable "retention_time" {
  description = "How long Prometheus keeps samples (--storage.tsdb.retention.time)."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+(y|w|d|h|m|s)$", var.retention_time))
    error_message = "retention_time must be a Prometheus duration such as 15d or 12h."
  }
}

variable "retention_size" {
  description = "Optional cap on the TSDB size (--storage.tsdb.retention.size), e.g. 40GB; keep it below data_volume_size_gib."
  type        = string
  default     = null

  validation {
    condition     = var.retention_size == null || can(regex("^[0-9]+(B|KB|MB|GB|TB|PB)$", var.retention_size))
    error_message = "retention_size must be null or a size such as 40GB."
  }
}

variable "sources" {
  description = "Where ecs-sd discovers: one entry per account and region. role_arn (and external_id) make it a cross-account source; clusters limits it to named clusters. Empty means this account and region, all clusters."
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
  description = "Create an EventBridge rule for aws.ecs task and container instance state changes into an SQS queue that ecs-sd reads, so changes show up between refreshes (this account and region only)."
  type        = bool
  default     = false
}

variable "discovery_output" {
  description = "How Prometheus reads ecs-sd's targets: file_sd (one job per interval from the shared volume) or http_sd (one job from ecs-sd's /http-sd on localhost)."
  type        = string
  default     = "file_sd"

  validation {
    condition     = contains(["file_sd", "http_sd"], var.discovery_output)
    error_message = "discovery_output must be file_sd or http_sd."
  }
}

variable "remote_write" {
  description = "Optional remote_write target. With amp_workspace_arn the requests are SigV4-signed and the task role may aps:RemoteWrite to that Amazon Managed Service for Prometheus workspace."
  type = object({
    url               = string
    amp_workspace_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.remote_write == null || can(regex("^https://", var.remote_write.url))
    error_message = "remote_write.url must be an https:// URL."
  }

  validation {
    condition     = var.remote_write == null || try(var.remote_write.amp_workspace_arn == null, true) || can(regex("^arn:aws[a-z-]*:aps:", var.remote_write.amp_workspace_arn))
    error_message = "remote_write.amp_workspace_arn must be an aps workspace ARN."
  }
}

variable "alert_sns_topic_arn" {
  description = "SNS topic Alertmanager publishes notifications to. Null creates one (subscribe to it to receive alerts)."
  type        = string
  default     = null

  validation {
    condition     = var.alert_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alert_sns_topic_arn))
    error_message = "alert_sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "grafana_admin_password_ssm_parameter_arn" {
  description = "ARN of an SSM SecureString parameter holding Grafana's admin password (injected as a secret, never in the task definition)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", var.grafana_admin_password_ssm_parameter_arn))
    error_message = "grafana_admin_password_ssm_parameter_arn must be an SSM parameter ARN."
  }
}

variable "ingress_cidr_blocks" {
  description = "CIDR blocks allowed to reach Prometheus (9090), Alertmanager (9093) and Grafana (3000). Empty opens nothing."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "ingress_cidr_blocks must contain CIDR blocks such as 10.1.0.0/16."
  }
}

variable "ingress_security_group_ids" {
  description = "Security groups allowed to reach Prometheus (9090), Alertmanager (9093) and Grafana (3000), e.g. a load balancer's or a bastion's."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.ingress_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "ingress_security_group_ids must contain security group ids such as sg-0123456789abcdef0."
  }
}

variable "cloud_map_namespace_id" {
  description = "Existing Cloud Map private DNS namespace to register the servers in. Null creates one named cloud_map_namespace_name."
  type        = string
  default     = null

  validation {
    condition     = var.cloud_map_namespace_id == null || can(regex("^ns-[0-9a-z]+$", var.cloud_map_namespace_id))
    error_message = "cloud_map_namespace_id must be null or a namespace id such as ns-abcdefghijklmnop."
  }
}

variable "cloud_map_namespace_name" {
  description = "Name of the private DNS namespace: the one created when cloud_map_namespace_id is null, else the name of that namespace. The servers answer at prometheus.<name>."
  type        = string
  default     = "monitoring.internal"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.cloud_map_namespace_name))
    error_message = "cloud_map_namespace_name must be a DNS name such as monitoring.internal."
  }
}

variable "monitoring_dir" {
  description = "Directory of the monitoring content (rules, dashboards). Null means the repository's monitoring/ folder next to terraform/."
  type        = string
  default     = null
}

variable "rule_files" {
  description = "fileset() patterns, relative to monitoring_dir, of Prometheus rule files to deliver."
  type        = list(string)
  default     = ["prometheus/rules/*.yml", "prometheus/rules/*.yaml", "rules/*.yml", "rules/*.yaml"]

  validation {
    condition     = alltrue([for p in var.rule_files : !startswith(p, "/") && !strcontains(p, "..")])
    error_message = "rule_files must be relative patterns inside monitoring_dir."
  }
}

variable "dashboard_files" {
  description = "fileset() patterns, relative to monitoring_dir, of Grafana dashboard JSON files to deliver."
  type        = list(string)
  default     = ["grafana/dashboards/*.json", "dashboards/*.json"]

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
  description = "Images of the other containers, pinned by tag."
  type = object({
    prometheus    = optional(string, "quay.io/prometheus/prometheus:v3.5.0")
    alertmanager  = optional(string, "quay.io/prometheus/alertmanager:v0.28.1")
    grafana       = optional(string, "docker.io/grafana/grafana:12.1.1")
    config_loader = optional(string, "public.ecr.aws/aws-cli/aws-cli:2.32.9")
  })
  default = {}

  validation {
    condition     = alltrue([for i in values(var.images) : !endswith(i, ":latest")])
    error_message = "images must be pinned, not :latest."
  }
}

variable "memory_mib" {
  description = "Memory reservation (MiB) of each container; the sum must fit the instance type."
  type = object({
    prometheus   = optional(number, 2048)
    alertmanager = optional(number, 128)
    grafana      = optional(number, 256)
    ecs_sd       = optional(number, 256)
  })
  default = {}

  validation {
    condition     = alltrue([for m in values(var.memory_mib) : m >= 32])
    error_message = "memory_mib values must be at least 32."
  }
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights on the monitoring cluster (billed per metric)."
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

variable "ssm_session_manager" {
  description = "Let operators reach the servers with SSM Session Manager (AWS managed AmazonSSMManagedInstanceCore on the instance role) and forward ports from the instance to the UIs."
  type        = bool
  default     = true
}
