# Plans and applies the example against a mocked AWS provider (no credentials, no AWS calls).

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

  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/ecs-sd/example/grafana-admin-password"
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
  target = module.prometheus.data.aws_subnet.server["subnet-0aaaaaaaaaaaaaaaa"]
  values = {
    id                = "subnet-0aaaaaaaaaaaaaaaa"
    availability_zone = "eu-west-1a"
  }
}

override_data {
  target = module.prometheus.data.aws_subnet.server["subnet-0bbbbbbbbbbbbbbbb"]
  values = {
    id                = "subnet-0bbbbbbbbbbbbbbbb"
    availability_zone = "eu-west-1b"
  }
}

variables {
  region                                = "eu-west-1"
  vpc_id                                = "vpc-0123456789abcdef0"
  private_subnet_ids                    = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  monitored_cluster_arn                 = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
  monitored_instance_security_group_ids = ["sg-0cccccccccccccccc"]
  ecs_sd_image                          = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-sd:0.1.0"
  grafana_admin_password                = "correct-horse-battery"
}

run "complete_stack" {
  command = apply

  assert {
    condition     = length(module.prometheus.data_volume_ids) == 2
    error_message = "two private subnets must give an HA pair"
  }

  assert {
    condition     = module.prometheus.events_queue_url != null
    error_message = "the example runs in event mode"
  }

  assert {
    condition     = strcontains(module.prometheus.prometheus_dns_name, "prometheus.")
    error_message = "the servers must be registered in Cloud Map"
  }
}
