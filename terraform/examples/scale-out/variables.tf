variable "region" {
  description = "AWS region to deploy to."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be a region code such as eu-west-1."
  }
}

variable "vpc_id" {
  description = "VPC of the monitored cluster and of the scale-out tasks."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets with a route to the AWS APIs and the image registries (NAT gateway or VPC endpoints); Fargate spreads the tasks over their zones."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids must list at least one subnet id such as subnet-0123456789abcdef0."
  }
}

variable "monitored_cluster_arn" {
  description = "ARN of the ECS cluster whose container instances get node-exporter and cAdvisor."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/.+$", var.monitored_cluster_arn))
    error_message = "monitored_cluster_arn must be an ECS cluster ARN."
  }
}

variable "monitored_instance_security_group_ids" {
  description = "Security groups of the monitored cluster's container instances (opened to the agents on 9100 and 8080 only)."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.monitored_instance_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "monitored_instance_security_group_ids must contain security group ids."
  }
}

variable "ecs_sd_image" {
  description = "ecs-sd image you built from packages/ecs-sd/Dockerfile and pushed, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-sd:0.1.0."
  type        = string

  validation {
    condition     = length(var.ecs_sd_image) > 0 && !endswith(var.ecs_sd_image, ":latest")
    error_message = "ecs_sd_image must be a pinned image reference, not :latest."
  }
}

variable "grafana_admin_password" {
  description = "Grafana admin password, stored as an SSM SecureString parameter (and in the Terraform state: protect it)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.grafana_admin_password) >= 12
    error_message = "grafana_admin_password must be at least 12 characters."
  }
}

variable "admin_cidr_blocks" {
  description = "CIDR blocks (e.g. your VPN's) allowed to open Grafana."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "admin_cidr_blocks must contain CIDR blocks."
  }
}

variable "event_mode" {
  description = "Deliver ECS state-change events to each ecs-sd replica through EventBridge and its own SQS queue."
  type        = bool
  default     = true
}

variable "scrapers" {
  description = "Number of Prometheus agents in the pool."
  type        = number
  default     = 3

  validation {
    condition     = var.scrapers >= 1 && floor(var.scrapers) == var.scrapers
    error_message = "scrapers must be a whole number of at least 1."
  }
}
