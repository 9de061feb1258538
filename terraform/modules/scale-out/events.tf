# Event mode: ECS task and container instance state changes of this account and region reach a queue
# per ecs-sd replica (two consumers of one queue would each see only part of the events), including
# the scrapers' own starts and stops, so a pool change takes effect within seconds.

resource "aws_sqs_queue" "events" {
  count = var.event_mode ? var.ecs_sd_replicas : 0

  name                      = "${var.name}-ecs-events-${count.index}"
  message_retention_seconds = 3600
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_cloudwatch_event_rule" "ecs_state_changes" {
  count = var.event_mode ? var.ecs_sd_replicas : 0

  name        = "${var.name}-ecs-state-changes-${count.index}"
  description = "ECS task and container instance state changes for ecs-sd replica ${count.index}"
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change", "ECS Container Instance State Change"]
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "ecs_state_changes" {
  count = var.event_mode ? var.ecs_sd_replicas : 0

  rule = aws_cloudwatch_event_rule.ecs_state_changes[count.index].name
  arn  = aws_sqs_queue.events[count.index].arn
}

data "aws_iam_policy_document" "events_queue" {
  count = var.event_mode ? var.ecs_sd_replicas : 0

  statement {
    sid       = "EventBridgeSendsEcsEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events[count.index].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ecs_state_changes[count.index].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  count = var.event_mode ? var.ecs_sd_replicas : 0

  queue_url = aws_sqs_queue.events[count.index].id
  policy    = data.aws_iam_policy_document.events_queue[count.index].json
}
