# Two security groups: the container instances (no ingress at all) and the task's ENI, which is the
# "Prometheus security group" the exporter modules open their scrape ports to.

resource "aws_security_group" "instance" {
  name_prefix = "${var.name}-instance-"
  description = "Prometheus container instances: no ingress"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-instance" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "prometheus" {
  name_prefix = "${var.name}-prometheus-"
  description = "Prometheus task: scrapes targets, serves the UIs to the allowed sources"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-prometheus" })

  lifecycle {
    create_before_destroy = true
  }
}

# Egress: the instances and the task reach the AWS APIs, the image registries and every scrape target.
resource "aws_vpc_security_group_egress_rule" "instance_ipv4" {
  security_group_id = aws_security_group.instance.id
  description       = "AWS APIs, image registries"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "prometheus_ipv4" {
  security_group_id = aws_security_group.prometheus.id
  description       = "Scrape targets, AWS APIs, remote_write"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

locals {
  ui_ports = {
    prometheus   = local.ports.prometheus
    alertmanager = local.ports.alertmanager
    grafana      = local.ports.grafana
  }

  ingress_from_cidr = {
    for pair in setproduct(keys(local.ui_ports), var.ingress_cidr_blocks) : "${pair[0]}-${pair[1]}" => {
      port = local.ui_ports[pair[0]]
      cidr = pair[1]
    }
  }

  ingress_from_sg = {
    for pair in setproduct(keys(local.ui_ports), var.ingress_security_group_ids) : "${pair[0]}-${pair[1]}" => {
      port = local.ui_ports[pair[0]]
      sg   = pair[1]
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "ui_from_cidr" {
  for_each = local.ingress_from_cidr

  security_group_id = aws_security_group.prometheus.id
  description       = "UI port ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_ingress_rule" "ui_from_sg" {
  for_each = local.ingress_from_sg

  security_group_id            = aws_security_group.prometheus.id
  description                  = "UI port ${each.value.port}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.sg
}

# Session Manager port forwarding runs on the instance: let it reach the UIs of its task.
resource "aws_vpc_security_group_ingress_rule" "ui_from_instance" {
  for_each = var.ssm_session_manager ? local.ui_ports : {}

  security_group_id            = aws_security_group.prometheus.id
  description                  = "${each.key} through Session Manager port forwarding"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.instance.id
}

# Alertmanager gossip between the servers of an HA pair (TCP and UDP).
resource "aws_vpc_security_group_ingress_rule" "alertmanager_peers" {
  for_each = local.ha ? toset(["tcp", "udp"]) : toset([])

  security_group_id            = aws_security_group.prometheus.id
  description                  = "Alertmanager cluster ${each.value}"
  ip_protocol                  = each.value
  from_port                    = local.ports.alertmanager_peers
  to_port                      = local.ports.alertmanager_peers
  referenced_security_group_id = aws_security_group.prometheus.id
}

# Prometheus of one server scrapes the other's Alertmanager and itself through the same group.
resource "aws_vpc_security_group_ingress_rule" "alertmanager_from_peers" {
  count = local.ha ? 1 : 0

  security_group_id            = aws_security_group.prometheus.id
  description                  = "Alertmanager API from the other server"
  ip_protocol                  = "tcp"
  from_port                    = local.ports.alertmanager
  to_port                      = local.ports.alertmanager
  referenced_security_group_id = aws_security_group.prometheus.id
}
