locals {
  volume_tag_key      = "ecs-sd:data-volume"
  server_tag_key      = "ecs-sd:server"
  mounted_attribute   = "ecs-sd.data-volume"
  availability_zones  = { for id, s in data.aws_subnet.server : id => s.availability_zone }
  volume_tag_value    = { for id, az in local.availability_zones : id => "${var.name}-${az}" }
  capacity_provider_n = { for id, az in local.availability_zones : id => "${var.name}-${az}" }
}

resource "aws_ebs_volume" "data" {
  for_each = local.availability_zones

  availability_zone = each.value
  size              = var.data_volume_size_gib
  type              = var.data_volume_type
  encrypted         = true

  tags = merge(local.tags, {
    Name                   = "${var.name}-data-${each.value}"
    (local.volume_tag_key) = local.volume_tag_value[each.key]
  })
}

resource "aws_launch_template" "server" {
  for_each = local.availability_zones

  name_prefix            = "${var.name}-${each.value}-"
  image_id               = data.aws_ssm_parameter.ami.value
  instance_type          = var.instance_type
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.instance.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  # IMDSv2 only, one hop: containers in bridge mode cannot reach the instance's credentials.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 30
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/user-data.sh.tftpl", {
    cluster_name     = aws_ecs_cluster.this.name
    volume_tag_key   = local.volume_tag_key
    volume_tag_value = local.volume_tag_value[each.key]
    mount_path       = local.data_mount_path
    attribute_name   = local.mounted_attribute
  }))

  tag_specifications {
    resource_type = "instance"
    tags = merge(local.tags, {
      Name                   = "${var.name}-${each.value}"
      (local.server_tag_key) = var.name
    })
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "server" {
  for_each = local.availability_zones

  name_prefix         = "${var.name}-${each.value}-"
  min_size            = 0
  max_size            = 1
  vpc_zone_identifier = [each.key]
  health_check_type   = "EC2"

  launch_template {
    id      = aws_launch_template.server[each.key].id
    version = aws_launch_template.server[each.key].latest_version
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = local.tags

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # ECS managed scaling owns the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "server" {
  for_each = local.availability_zones

  name = local.capacity_provider_n[each.key]

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.server[each.key].arn
    managed_termination_protection = "DISABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 1
    }
  }

  tags = local.tags
}
