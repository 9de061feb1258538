import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQueueUrl } from '../../src/lib/queue-url.ts';

test('reads the Region, account and name of the usual queue URL forms', () => {
  const cases: [string, string | undefined][] = [
    ['https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events', 'eu-west-1'],
    ['https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/ecs-events', 'us-gov-west-1'],
    ['https://sqs.cn-north-1.amazonaws.com.cn/123456789012/ecs-events', 'cn-north-1'],
    ['https://ap-southeast-2.queue.amazonaws.com/123456789012/ecs-events', 'ap-southeast-2'],
    ['https://queue.amazonaws.com/123456789012/ecs-events', 'us-east-1'],
    ['https://vpce-0a1b2c3d-abcdefgh.sqs.us-east-2.vpce.amazonaws.com/123456789012/ecs-events', 'us-east-2'],
    ['http://127.0.0.1:40123/123456789012/ecs-events', undefined],
  ];
  for (const [url, region] of cases) {
    const parsed = parseQueueUrl(url);
    assert.ok(parsed.ok, `${url}: ${parsed.ok ? '' : parsed.message}`);
    assert.equal(parsed.value.region, region, url);
    assert.equal(parsed.value.accountId, '123456789012');
    assert.equal(parsed.value.queueName, 'ecs-events');
    assert.equal(parsed.value.fifo, false);
  }
  const fifo = parseQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events.fifo');
  assert.ok(fifo.ok && fifo.value.fifo);
});

test('rejects what is not a queue URL, naming the value and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['ecs-events', /"ecs-events" is not a URL, expected https:\/\/sqs\.REGION/],
    ['arn:aws:sqs:us-east-1:123456789012:ecs-events', /has scheme arn:/],
    ['https://sqs.us-east-1.amazonaws.com/ecs-events', /has path "\/ecs-events"/],
    ['https://sqs.us-east-1.amazonaws.com/1234/ecs-events', /account id "1234", expected 12 digits/],
    ['https://sqs.us-east-1.amazonaws.com/123456789012/ecs events', /queue name "ecs%20events"/],
  ];
  for (const [url, message] of cases) {
    const parsed = parseQueueUrl(url);
    assert.ok(!parsed.ok, url);
    assert.match(parsed.message, message);
  }
});
