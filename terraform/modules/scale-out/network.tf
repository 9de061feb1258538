# Three security groups: ecs-sd answers the scrapers only (9888), the scrapers scrape each other's own
# metrics (9090) and open your targets' ports to their group, Grafana answers the allowed sources (3000).

resource "aws_security_group" "ecs_sd" {
  name_prefix = "${var.name}-ecs-sd-"
  description = "ecs-sd replicas: http_sd and /metrics for the scrapers only"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-ecs-sd" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "scraper" {
  name_prefix = "${var.name}-agent-"
  description = "Prometheus agents of the pool: scrapes, http_sd and remote_write leave from here"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-agent" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "grafana" {
  count = local.grafana ? 1 : 0

  name_prefix = "${var.name}-grafana-"
  description = "Grafana on the store: 3000 from the allowed sources only"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-grafana" })

  lifecycle {
    create_before_destroy = true
  }
}

# Egress: the AWS APIs, the image registries, the scrape targets and the store.
resource "aws_vpc_security_group_egress_rule" "all_ipv4" {
  for_each = merge(
    { ecs_sd = aws_security_group.ecs_sd.id, scraper = aws_security_group.scraper.id },
    local.grafana ? { grafana = aws_security_group.grafana[0].id } : {},
  )

  security_group_id = each.value
  description       = "AWS APIs, image registries, targets, store"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "ecs_sd_from_scrapers" {
  security_group_id            = aws_security_group.ecs_sd.id
  description                  = "http_sd and /metrics from the scrapers"
  ip_protocol                  = "tcp"
  from_port                    = local.ports.ecs_sd
  to_port                      = local.ports.ecs_sd
  referenced_security_group_id = aws_security_group.scraper.id
}

resource "aws_vpc_security_group_ingress_rule" "agents_from_agents" {
  security_group_id            = aws_security_group.scraper.id
  description                  = "agents scrape each other (job prometheus-agent)"
  ip_protocol                  = "tcp"
  from_port                    = local.ports.agent
  to_port                      = local.ports.agent
  referenced_security_group_id = aws_security_group.scraper.id
}

resource "aws_vpc_security_group_ingress_rule" "grafana_from_cidr" {
  for_each = local.grafana ? toset(var.ingress_cidr_blocks) : toset([])

  security_group_id = aws_security_group.grafana[0].id
  description       = "Grafana UI"
  ip_protocol       = "tcp"
  from_port         = local.ports.grafana
  to_port           = local.ports.grafana
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "grafana_from_sg" {
  for_each = local.grafana ? toset(var.ingress_security_group_ids) : toset([])

  security_group_id            = aws_security_group.grafana[0].id
  description                  = "Grafana UI"
  ip_protocol                  = "tcp"
  from_port                    = local.ports.grafana
  to_port                      = local.ports.grafana
  referenced_security_group_id = each.value
}
