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
      arn = "arn:aws:iam::123456789012:role/cadvisor-exec"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/cadvisor:1"
    }
  }
}

variables {
  cluster_arn                  = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
  prometheus_security_group_id = "sg-0aaaaaaaaaaaaaaaa"
  instance_security_group_ids  = ["sg-0bbbbbbbbbbbbbbbb"]
}

run "privileged_daemon_with_documented_mounts" {
  command = apply

  assert {
    condition     = aws_ecs_service.this.scheduling_strategy == "DAEMON"
    error_message = "cAdvisor must run as a DAEMON service"
  }

  assert {
    condition     = one(jsondecode(aws_ecs_task_definition.this.container_definitions)).privileged
    error_message = "cAdvisor must be privileged"
  }

  assert {
    condition = { for m in one(jsondecode(aws_ecs_task_definition.this.container_definitions)).mountPoints : m.containerPath => m.readOnly } == {
      "/rootfs" = true, "/var/run" = true, "/sys" = true, "/var/lib/docker" = true, "/dev/disk" = true,
    }
    error_message = "cAdvisor needs /, /var/run, /sys, /var/lib/docker and /dev/disk read-only"
  }

  assert {
    condition = { for v in aws_ecs_task_definition.this.volume : v.name => v.host_path } == {
      rootfs = "/", var-run = "/var/run", sys = "/sys", docker = "/var/lib/docker", dev-disk = "/dev/disk",
    }
    error_message = "the volumes must be the host paths cAdvisor documents"
  }

  assert {
    condition     = one(jsondecode(aws_ecs_task_definition.this.container_definitions)).linuxParameters.devices[0].hostPath == "/dev/kmsg"
    error_message = "cAdvisor needs /dev/kmsg"
  }

  assert {
    condition     = contains(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).environment, { name = "PROMETHEUS", value = "true" }) && contains(one(jsondecode(aws_ecs_task_definition.this.container_definitions)).environment, { name = "PROMETHEUS_PORT", value = "8080" })
    error_message = "cAdvisor must opt in to ecs-sd with its port"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.scrape["sg-0bbbbbbbbbbbbbbbb"].referenced_security_group_id == "sg-0aaaaaaaaaaaaaaaa" && aws_vpc_security_group_ingress_rule.scrape["sg-0bbbbbbbbbbbbbbbb"].from_port == 8080
    error_message = "only Prometheus may reach the scrape port"
  }
}
