# The scale-out topology: ecs-sd (two replicas, event mode) serving a pool of three Prometheus agents
# that remote-write to a new Amazon Managed Service for Prometheus workspace (which evaluates
# monitoring/rules), Grafana on that workspace, and node-exporter and cAdvisor on every container
# instance of the monitored cluster, open to the agents.

resource "aws_ssm_parameter" "grafana_admin_password" {
  name  = "/ecs-sd/scale-out/grafana-admin-password"
  type  = "SecureString"
  value = var.grafana_admin_password
}

module "scale_out" {
  source = "../../modules/scale-out"

  name                                     = "scale-out"
  vpc_id                                   = var.vpc_id
  subnet_ids                               = var.private_subnet_ids
  ecs_sd_image                             = var.ecs_sd_image
  grafana_admin_password_ssm_parameter_arn = aws_ssm_parameter.grafana_admin_password.arn
  ingress_cidr_blocks                      = var.admin_cidr_blocks
  event_mode                               = var.event_mode
  scrapers                                 = var.scrapers
  store                                    = { kind = "amp" }

  # The monitored cluster; the module's own cluster (the scrapers, the pool's members) is added to it.
  sources = [{
    name     = "local"
    clusters = [regex("cluster/(.+)$", var.monitored_cluster_arn)[0]]
  }]
}

module "node_exporter" {
  source = "../../modules/node-exporter"

  cluster_arn                  = var.monitored_cluster_arn
  prometheus_security_group_id = module.scale_out.scraper_security_group_id
  instance_security_group_ids  = var.monitored_instance_security_group_ids
}

module "cadvisor" {
  source = "../../modules/cadvisor"

  cluster_arn                  = var.monitored_cluster_arn
  prometheus_security_group_id = module.scale_out.scraper_security_group_id
  instance_security_group_ids  = var.monitored_instance_security_group_ids
}
