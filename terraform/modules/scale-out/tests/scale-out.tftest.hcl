# Plans and applies the module against a mocked AWS provider (no credentials, no AWS calls).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_prometheus_workspace" {
    defaults = {
      arn                 = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-given"
      prometheus_endpoint = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-given/"
    }
  }

  mock_resource "aws_prometheus_workspace" {
    defaults = {
      id                  = "ws-created"
      arn                 = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-created"
      prometheus_endpoint = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-created/"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:scale-out-ecs-events-0"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/scale-out-ecs-events-0"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/scale-out-task"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0123-abcd-0123-0123456789ab"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:scale-out-alerts"
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }

  mock_resource "aws_service_discovery_service" {
    defaults = {
      arn = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-0123456789"
    }
  }

  mock_resource "aws_service_discovery_private_dns_namespace" {
    defaults = {
      id = "ns-0123456789abcdef"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/scale-out:1"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/scale-out-ecs-state-changes-0"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "scale-out-config-abc"
      arn = "arn:aws:s3:::scale-out-config-abc"
    }
  }
}

override_resource {
  target = aws_sqs_queue.events[1]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:scale-out-ecs-events-1"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/scale-out-ecs-events-1"
  }
}

variables {
  vpc_id                                   = "vpc-0123456789abcdef0"
  subnet_ids                               = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  ecs_sd_image                             = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-sd:0.1.0"
  grafana_admin_password_ssm_parameter_arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/grafana-admin"
}

run "amp_event_mode_cross_account" {
  command = apply

  variables {
    event_mode = true
    scrapers   = 3
    sources = [
      { name = "here", clusters = ["web"] },
      { name = "prod", region = "us-east-2", role_arn = "arn:aws:iam::210987654321:role/ecs-sd", external_id = "ecs-sd" },
    ]
    ingress_cidr_blocks = ["10.99.0.0/16"]
  }

  assert {
    condition     = length(aws_ecs_service.ecs_sd) == 2 && alltrue([for s in aws_ecs_service.ecs_sd : s.desired_count == 1 && s.launch_type == "FARGATE"])
    error_message = "ecs-sd must run as two services of one Fargate task each"
  }

  assert {
    condition     = alltrue([for s in aws_ecs_service.ecs_sd : one(s.service_registries).registry_arn == aws_service_discovery_service.ecs_sd.arn])
    error_message = "every ecs-sd replica must register under the one Cloud Map name"
  }

  assert {
    condition     = aws_ecs_service.scraper.desired_count == 3 && aws_ecs_task_definition.scraper.network_mode == "awsvpc"
    error_message = "three scrapers, each with its own IP"
  }

  assert {
    condition     = aws_ecs_task_definition.scraper.family == "scale-out-prometheus-agent"
    error_message = "the scrapers' family must be the one the pool names"
  }

  assert {
    condition = toset(one(data.aws_iam_policy_document.ecs_sd_discovery.statement).actions) == toset([
      "ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListServices", "ecs:DescribeServices", "ecs:ListTasks",
      "ecs:DescribeTasks", "ecs:DescribeTaskDefinition",
      "ecs:DescribeContainerInstances", "ec2:DescribeInstances", "ssm:DescribeInstanceInformation",
    ])
    error_message = "the discovery policy must hold exactly ecs-sd's discovery actions"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.ecs_sd_events[0].statement).resources == toset(aws_sqs_queue.events[*].arn) && length(aws_sqs_queue.events) == 2
    error_message = "each replica has its own queue, and ecs-sd may read exactly those"
  }

  assert {
    condition     = [for t in aws_cloudwatch_event_target.ecs_state_changes : t.arn] == aws_sqs_queue.events[*].arn
    error_message = "each replica's rule must target its own queue"
  }

  assert {
    condition     = aws_s3_object.rendered["ecs-sd/ecs-sd-0.yaml"].content == file("../../test/golden/ecs-sd-scale-out-events-0.yaml")
    error_message = "replica 0's config must match terraform/test/golden/ecs-sd-scale-out-events-0.yaml"
  }

  assert {
    condition     = aws_s3_object.rendered["ecs-sd/ecs-sd-1.yaml"].content == file("../../test/golden/ecs-sd-scale-out-events-1.yaml")
    error_message = "replica 1's config must match terraform/test/golden/ecs-sd-scale-out-events-1.yaml"
  }

  assert {
    condition     = toset(flatten([for j in yamldecode(aws_s3_object.rendered["prometheus/prometheus-agent.yml"].content).scrape_configs : [for sd in j.http_sd_configs : sd.url]])) == toset(["http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents"])
    error_message = "every agent job must read the pool's share from ecs-sd's Cloud Map name"
  }

  assert {
    condition = yamldecode(aws_s3_object.rendered["prometheus/prometheus-agent.yml"].content).remote_write == [{
      url   = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-created/api/v1/remote_write"
      sigv4 = { region = "eu-west-1" }
    }]
    error_message = "the agents must remote-write to the workspace with SigV4"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.remote_write[0].statement).actions == toset(["aps:RemoteWrite"]) && one(data.aws_iam_policy_document.remote_write[0].statement).resources == toset([aws_prometheus_workspace.this[0].arn])
    error_message = "the scrapers may only remote-write, to the workspace"
  }

  assert {
    condition     = toset(keys(aws_prometheus_rule_group_namespace.rules)) == toset(["alertmanager.rules", "container.rules", "ecs-sd.rules", "host.rules", "prometheus.rules", "scrape.rules"])
    error_message = "every monitoring/rules file must be a rule groups namespace"
  }

  assert {
    condition     = aws_prometheus_rule_group_namespace.rules["ecs-sd.rules"].data == file("../../../monitoring/rules/ecs-sd.rules.yml")
    error_message = "a namespace holds its rule file as it is"
  }

  assert {
    condition     = alltrue([for r in yamldecode(yamldecode(aws_prometheus_alert_manager_definition.this[0].definition).alertmanager_config).receivers : r.sns_configs[0].topic_arn == aws_sns_topic.alerts[0].arn])
    error_message = "every receiver of AMP's alert manager must publish to the topic"
  }

  assert {
    condition     = yamldecode(aws_s3_object.rendered["grafana/provisioning/datasources/store.yml"].content).datasources[0].jsonData.sigV4Auth
    error_message = "Grafana must query AMP with SigV4"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.ecs_sd_from_scrapers.referenced_security_group_id == aws_security_group.scraper.id && aws_vpc_security_group_ingress_rule.ecs_sd_from_scrapers.from_port == 9888
    error_message = "ecs-sd must answer the scrapers on 9888"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.grafana_from_cidr) == 1
    error_message = "Grafana must be open to the allowed CIDR only"
  }
}

run "remote_write_store_polling" {
  command = apply

  variables {
    store = {
      kind             = "remote-write"
      remote_write_url = "http://mimir.monitoring.internal:9009/api/v1/push"
      query_url        = "http://mimir.monitoring.internal:9009/prometheus"
      headers          = { X-Scope-OrgID = "ecs" }
    }
  }

  assert {
    condition     = length(aws_prometheus_workspace.this) == 0 && length(aws_prometheus_rule_group_namespace.rules) == 0 && length(aws_sns_topic.alerts) == 0
    error_message = "a remote-write store needs no AMP resources"
  }

  assert {
    condition     = length(aws_sqs_queue.events) == 0 && length(aws_iam_role_policy.ecs_sd_events) == 0
    error_message = "without event_mode there is no queue and no SQS permission"
  }

  assert {
    condition     = aws_s3_object.rendered["ecs-sd/ecs-sd-0.yaml"].content == file("../../test/golden/ecs-sd-scale-out-polling.yaml")
    error_message = "the polling config must match terraform/test/golden/ecs-sd-scale-out-polling.yaml"
  }

  assert {
    condition = yamldecode(aws_s3_object.rendered["prometheus/prometheus-agent.yml"].content).remote_write == [{
      url     = "http://mimir.monitoring.internal:9009/api/v1/push"
      headers = { X-Scope-OrgID = "ecs" }
    }]
    error_message = "the agents must write to the given URL with its headers"
  }

  assert {
    condition     = yamldecode(aws_s3_object.rendered["grafana/provisioning/datasources/store.yml"].content).datasources[0].url == "http://mimir.monitoring.internal:9009/prometheus"
    error_message = "Grafana must query the store's query URL"
  }

  assert {
    condition     = length(aws_iam_role_policy.remote_write) == 0 && length(aws_iam_role_policy.grafana_query) == 0
    error_message = "no AMP permission without AMP"
  }
}

run "existing_workspace_without_grafana" {
  command = apply

  variables {
    store   = { kind = "amp", amp_workspace_id = "ws-0123abcd-0123-abcd-0123-0123456789ab" }
    grafana = false
  }

  assert {
    condition     = length(aws_prometheus_workspace.this) == 0 && length(aws_prometheus_alert_manager_definition.this) == 0
    error_message = "a given workspace is not created and its alert manager is left alone"
  }

  assert {
    condition     = alltrue([for n in aws_prometheus_rule_group_namespace.rules : n.workspace_id == "ws-0123abcd-0123-abcd-0123-0123456789ab"])
    error_message = "the rules go to the given workspace"
  }

  assert {
    condition     = length(aws_ecs_service.grafana) == 0 && !contains(keys(aws_s3_object.rendered), "grafana/provisioning/datasources/store.yml")
    error_message = "grafana = false runs no Grafana"
  }
}

run "rejects_a_pool_without_a_local_source" {
  command = plan

  variables {
    sources = [{ name = "prod", role_arn = "arn:aws:iam::210987654321:role/ecs-sd" }]
  }

  expect_failures = [var.sources]
}

run "rejects_an_unknown_store" {
  command = plan

  variables {
    store = { kind = "mimir" }
  }

  expect_failures = [var.store]
}
