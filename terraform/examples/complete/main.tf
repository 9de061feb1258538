# A complete deployment: Prometheus servers (one per given subnet) with ecs-sd discovering the
# monitored cluster, and node-exporter and cAdvisor on every container instance of that cluster.

resource "aws_ssm_parameter" "grafana_admin_password" {
  name  = "/ecs-sd/example/grafana-admin-password"
  type  = "SecureString"
  value = var.grafana_admin_password
}

module "prometheus" {
  source = "../../modules/prometheus"

  name                                     = "monitoring"
  vpc_id                                   = var.vpc_id
  subnet_ids                               = var.private_subnet_ids
  ecs_sd_image                             = var.ecs_sd_image
  grafana_admin_password_ssm_parameter_arn = aws_ssm_parameter.grafana_admin_password.arn
  ingress_cidr_blocks                      = var.admin_cidr_blocks
  event_mode                               = var.event_mode
  retention_time                           = "15d"
  retention_size                           = "40GB"
  data_volume_size_gib                     = 50

  sources = [{
    name     = "local"
    clusters = [regex("cluster/(.+)$", var.monitored_cluster_arn)[0]]
  }]
}

module "node_exporter" {
  source = "../../modules/node-exporter"

  cluster_arn                  = var.monitored_cluster_arn
  prometheus_security_group_id = module.prometheus.prometheus_security_group_id
  instance_security_group_ids  = var.monitored_instance_security_group_ids
}

module "cadvisor" {
  source = "../../modules/cadvisor"

  cluster_arn                  = var.monitored_cluster_arn
  prometheus_security_group_id = module.prometheus.prometheus_security_group_id
  instance_security_group_ids  = var.monitored_instance_security_group_ids
}
