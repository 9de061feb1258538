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

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/node-exporter-exec"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/node-exporter:1"
    }
  }
}

variables {
  cluster_arn                  = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
  prometheus_security_group_id = "sg-0aaaaaaaaaaaaaaaa"
  instance_security_group_ids  = ["sg-0bbbbbbbbbbbbbbbb"]
}

run "daemon_on_the_host" {
  command = apply

  assert {
    condition     = aws_ecs_service.this.scheduling_strategy == "DAEMON"
    error_message = "node-exporter must run as a DAEMON service"
  }

  assert {
    condition     = aws_ecs_task_definition.this.network_mode == "host" && aws_ecs_task_definition.this.pid_mode == "host"
    error_message = "node-exporter needs the host network and PID namespaces"
  }

  assert {
    condition     = one(jsondecode(aws_ecs_task_definition.this.container_definitions)).mountPoints == [{ sourceVolume = "rootfs", containerPath = "/host", readOnly = true }]
    error_message = "the host root file system must be mounted read-only at /host"
  }

  assert {
    condition     = one([for v in aws_ecs_task_definition.this.volume : v.host_path if v.name == "rootfs"]) == "/"
    error_message = "the rootfs volume must be the host's /"
  }

  assert {
    condition     = contains(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).command, "--path.rootfs=/host")
    error_message = "node-exporter must be told where the host root is"
  }

  assert {
    condition = toset(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).environment) == toset([
      { name = "PROMETHEUS", value = "true" },
      { name = "PROMETHEUS_PORT", value = "9100" },
      { name = "PROMETHEUS_ENDPOINT", value = "1m:/metrics" },
    ])
    error_message = "node-exporter must opt in to ecs-sd with its port"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.scrape["sg-0bbbbbbbbbbbbbbbb"].referenced_security_group_id == "sg-0aaaaaaaaaaaaaaaa" && aws_vpc_security_group_ingress_rule.scrape["sg-0bbbbbbbbbbbbbbbb"].from_port == 9100
    error_message = "only Prometheus may reach the scrape port"
  }
}

run "custom_port" {
  command = apply

  variables {
    port = 9200
  }

  assert {
    condition     = contains(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).command, "--web.listen-address=:9200")
    error_message = "the listen address must follow the port"
  }

  assert {
    condition     = contains(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).environment, { name = "PROMETHEUS_PORT", value = "9200" })
    error_message = "PROMETHEUS_PORT must follow the port"
  }
}

run "rejects_privileged_port" {
  command = plan

  variables {
    port = 80
  }

  expect_failures = [var.port]
}
