# Event mode: ECS task and container instance state changes of this account and region reach an SQS
# queue that ecs-sd drains between refreshes.

resource "aws_sqs_queue" "events" {
  count = var.event_mode ? 1 : 0

  name                      = "${var.name}-ecs-events"
  message_retention_seconds = 3600
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_cloudwatch_event_rule" "ecs_state_changes" {
  count = var.event_mode ? 1 : 0

  name        = "${var.name}-ecs-state-changes"
  description = "ECS task and container instance state changes for ecs-sd"
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change", "ECS Container Instance State Change"]
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "ecs_state_changes" {
  count = var.event_mode ? 1 : 0

  rule = aws_cloudwatch_event_rule.ecs_state_changes[0].name
  arn  = aws_sqs_queue.events[0].arn
}

data "aws_iam_policy_document" "events_queue" {
  count = var.event_mode ? 1 : 0

  statement {
    sid       = "EventBridgeSendsEcsEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ecs_state_changes[0].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  count = var.event_mode ? 1 : 0

  queue_url = aws_sqs_queue.events[0].id
  policy    = data.aws_iam_policy_document.events_queue[0].json
}
