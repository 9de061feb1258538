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

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:monitoring-ecs-events"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/monitoring-ecs-events"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/monitoring-task"
    }
  }

  mock_resource "aws_iam_instance_profile" {
    defaults = {
      arn = "arn:aws:iam::123456789012:instance-profile/monitoring"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:monitoring-alerts"
    }
  }

  mock_resource "aws_launch_template" {
    defaults = {
      id             = "lt-0123456789abcdef0"
      latest_version = 1
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }

  mock_resource "aws_autoscaling_group" {
    defaults = {
      arn = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0:autoScalingGroupName/monitoring"
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
      arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/monitoring:1"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/monitoring-ecs-state-changes"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "monitoring-config-abc"
      arn = "arn:aws:s3:::monitoring-config-abc"
    }
  }
}

override_data {
  target = data.aws_subnet.server["subnet-0aaaaaaaaaaaaaaaa"]
  values = {
    id                = "subnet-0aaaaaaaaaaaaaaaa"
    availability_zone = "eu-west-1a"
  }
}

override_data {
  target = data.aws_subnet.server["subnet-0bbbbbbbbbbbbbbbb"]
  values = {
    id                = "subnet-0bbbbbbbbbbbbbbbb"
    availability_zone = "eu-west-1b"
  }
}

variables {
  vpc_id                                   = "vpc-0123456789abcdef0"
  subnet_ids                               = ["subnet-0aaaaaaaaaaaaaaaa"]
  ecs_sd_image                             = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-sd:0.1.0"
  grafana_admin_password_ssm_parameter_arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/grafana-admin"
}

run "single_server" {
  command = apply

  assert {
    condition     = length(aws_autoscaling_group.server) == 1 && length(aws_ebs_volume.data) == 1
    error_message = "one subnet must give one auto-scaling group and one data volume"
  }

  assert {
    condition     = aws_launch_template.server["subnet-0aaaaaaaaaaaaaaaa"].metadata_options[0].http_tokens == "required"
    error_message = "the launch template must require IMDSv2"
  }

  assert {
    condition     = aws_ebs_volume.data["subnet-0aaaaaaaaaaaaaaaa"].availability_zone == "eu-west-1a" && aws_ebs_volume.data["subnet-0aaaaaaaaaaaaaaaa"].encrypted
    error_message = "the data volume must be encrypted and in the subnet's zone"
  }

  assert {
    condition     = aws_ebs_volume.data["subnet-0aaaaaaaaaaaaaaaa"].tags["ecs-sd:data-volume"] == "monitoring-eu-west-1a"
    error_message = "the data volume must carry the tag the user data looks it up by"
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
    condition     = length(aws_sqs_queue.events) == 0 && length(aws_iam_role_policy.ecs_sd_events) == 0
    error_message = "without event_mode there is no queue and no SQS permission"
  }

  assert {
    condition = toset([for c in jsondecode(aws_ecs_task_definition.server["subnet-0aaaaaaaaaaaaaaaa"].container_definitions) : c.name]) == toset([
      "config", "ecs-sd", "prometheus", "alertmanager", "grafana",
    ])
    error_message = "the task must run config, ecs-sd, prometheus, alertmanager and grafana"
  }

  assert {
    condition = contains(
      [for c in jsondecode(aws_ecs_task_definition.server["subnet-0aaaaaaaaaaaaaaaa"].container_definitions) : c.command if c.name == "ecs-sd"][0],
      "127.0.0.1:9888",
    )
    error_message = "ecs-sd must listen on localhost only"
  }

  assert {
    condition     = yamldecode(aws_s3_object.rendered["prometheus/prometheus.yml"].content).alerting.alertmanagers == [{ static_configs = [{ targets = ["localhost:9093"] }] }]
    error_message = "Prometheus must be told where Alertmanager is"
  }

  assert {
    condition     = alltrue([for r in yamldecode(aws_s3_object.rendered["alertmanager/alertmanager.yml"].content).receivers : r.sns_configs[0].topic_arn == "arn:aws:sns:eu-west-1:123456789012:monitoring-alerts"])
    error_message = "every Alertmanager receiver must notify the SNS topic"
  }

  assert {
    condition     = aws_s3_object.rendered["ecs-sd/ecs-sd.yaml"].content == file("../../test/golden/ecs-sd-default.yaml")
    error_message = "ecs-sd's config must match terraform/test/golden/ecs-sd-default.yaml (the file ecs-sd check-config validates)"
  }

  assert {
    condition     = toset(["node-exporter", "cadvisor", "ecs-sd", "prometheus", "alertmanager"]) == setintersection(toset([for j in yamldecode(aws_s3_object.rendered["prometheus/prometheus.yml"].content).scrape_configs : j.job_name]), toset(["node-exporter", "cadvisor", "ecs-sd", "prometheus", "alertmanager"]))
    error_message = "Prometheus must keep the jobs monitoring/'s rules and dashboards select on"
  }

  assert {
    condition     = length(aws_s3_object.rule) > 0 && length(aws_s3_object.dashboard) > 0
    error_message = "monitoring/'s rule files and dashboards must be delivered"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.ui_from_cidr) == 0 && length(aws_vpc_security_group_ingress_rule.ui_from_sg) == 0 && length(aws_vpc_security_group_ingress_rule.ui_from_instance) == 3
    error_message = "without allowed sources only the own instance (Session Manager port forwarding) may reach the UIs"
  }
}

run "ha_pair_with_events_and_cross_account" {
  command = apply

  variables {
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    event_mode = true
    sources = [
      { name = "here" },
      { name = "prod", region = "us-east-2", role_arn = "arn:aws:iam::210987654321:role/ecs-sd", external_id = "x1" },
    ]
    remote_write = {
      url               = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write"
      amp_workspace_arn = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-1"
    }
  }

  assert {
    condition     = length(aws_ecs_service.server) == 2 && length(aws_ecs_capacity_provider.server) == 2
    error_message = "two subnets must give two servers"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.ecs_state_changes[0].event_pattern) == {
      source      = ["aws.ecs"]
      detail-type = ["ECS Task State Change", "ECS Container Instance State Change"]
    }
    error_message = "the rule must match ECS task and container instance state changes"
  }

  assert {
    condition     = aws_cloudwatch_event_target.ecs_state_changes[0].arn == aws_sqs_queue.events[0].arn
    error_message = "the rule must target the queue"
  }

  assert {
    condition     = toset(one(data.aws_iam_policy_document.ecs_sd_events[0].statement).actions) == toset(["sqs:ReceiveMessage", "sqs:DeleteMessage"])
    error_message = "event mode must add exactly the SQS read actions"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.ecs_sd_events[0].statement).resources == toset([aws_sqs_queue.events[0].arn])
    error_message = "the SQS permission must be scoped to the queue"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.ecs_sd_assume_role[0].statement).resources == toset(["arn:aws:iam::210987654321:role/ecs-sd"])
    error_message = "sts:AssumeRole must be scoped to the configured roles"
  }

  assert {
    condition     = aws_s3_object.rendered["ecs-sd/ecs-sd.yaml"].content == file("../../test/golden/ecs-sd-events-cross-account.yaml")
    error_message = "ecs-sd's config must match terraform/test/golden/ecs-sd-events-cross-account.yaml"
  }

  assert {
    condition     = yamldecode(aws_s3_object.rendered["prometheus/prometheus.yml"].content).remote_write[0].sigv4.region == "eu-west-1"
    error_message = "remote_write to AMP must be SigV4-signed"
  }

  assert {
    condition = contains(
      [for c in jsondecode(aws_ecs_task_definition.server["subnet-0bbbbbbbbbbbbbbbb"].container_definitions) : c.command if c.name == "alertmanager"][0],
      "--cluster.peer=prometheus.monitoring.internal:9094",
    )
    error_message = "the Alertmanagers of an HA pair must gossip"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alertmanager_peers) == 2
    error_message = "the HA pair needs the gossip port open between its tasks"
  }
}

run "rejects_bad_retention" {
  command = plan

  variables {
    retention_time = "15 days"
  }

  expect_failures = [var.retention_time]
}

run "rejects_latest_image" {
  command = plan

  variables {
    ecs_sd_image = "ecs-sd:latest"
  }

  expect_failures = [var.ecs_sd_image]
}
