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

  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/ecs-sd/scale-out/grafana-admin-password"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "scale-out-config-abc"
      arn = "arn:aws:s3:::scale-out-config-abc"
    }
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

run "scale_out_stack" {
  command = apply

  assert {
    condition     = length(module.scale_out.events_queue_urls) == 2
    error_message = "the example runs two ecs-sd replicas in event mode, a queue each"
  }

  assert {
    condition     = module.scale_out.amp_workspace_arn == "arn:aws:aps:eu-west-1:123456789012:workspace/ws-created"
    error_message = "the example creates an AMP workspace"
  }

  assert {
    condition     = module.scale_out.http_sd_url == "http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents"
    error_message = "the agents must read their share from ecs-sd's Cloud Map name"
  }

  assert {
    condition     = module.scale_out.grafana_dns_name == "grafana.monitoring.internal"
    error_message = "Grafana runs on the store"
  }

  assert {
    condition     = module.node_exporter.port == 9100 && module.cadvisor.port == 8080
    error_message = "the daemons listen where ecs-sd is told"
  }
}
