import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { renderDataVolumeScript } from '../src/prometheus-server/user-data.ts';

const input = {
  tagKey: 'ecs-sd:data-volume',
  tagValue: 'StackPrometheusA1234',
  deviceName: '/dev/xvdf',
  mountPoint: '/data',
  directories: [
    { path: 'prometheus', owner: '65534:65534' },
    { path: 'grafana', owner: '472:0' },
  ],
  attachTimeoutSeconds: 900,
};
const lines = renderDataVolumeScript(input);
const script = lines.join('\n');
const lineOf = (pattern: RegExp) => {
  const index = lines.findIndex((line) => pattern.test(line));
  assert.notEqual(index, -1, `no line matches ${pattern}`);
  return index;
};

test('the boot script is valid bash', () => {
  const result = spawnSync('bash', ['-n'], { input: `#!/bin/bash\n${script}\n`, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

test('reads instance metadata only with an IMDSv2 session token', () => {
  assert.ok(lineOf(/-X PUT http:\/\/169\.254\.169\.254\/latest\/api\/token/) < lineOf(/^INSTANCE_ID=/));
  for (const line of lines.filter((l) => l.includes('169.254.169.254') && !l.includes('api/token'))) {
    assert.match(line, /X-aws-ec2-metadata-token: \$TOKEN/, `metadata read without token: ${line}`);
  }
});

test('finds the volume by its tag in the instance availability zone and attaches it with a deadline', () => {
  assert.match(
    script,
    /describe-volumes --filters 'Name=tag:ecs-sd:data-volume,Values=StackPrometheusA1234' "Name=availability-zone,Values=\$AZ"/,
  );
  assert.match(
    script,
    /attach-volume --volume-id "\$VOLUME_ID" --instance-id "\$INSTANCE_ID" --device \/dev\/xvdf/,
  );
  assert.match(script, /DEADLINE=\$\(\(SECONDS \+ 900\)\)/);
  assert.ok(
    lines.filter((l) => l.includes('-lt "$DEADLINE"')).length >= 2,
    'every wait loop checks the deadline',
  );
});

test('finds the device by volume id (NVMe serial without the dash), falling back to the requested name', () => {
  assert.match(script, /\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_\$\{VOLUME_ID\/-\/\}/);
  assert.match(script, /else DEVICE=\/dev\/xvdf; fi/);
  assert.doesNotMatch(script, /\/dev\/nvme1n1/, 'no NVMe device name is assumed');
});

test('formats only a blank volume and mounts it by UUID', () => {
  const format = lineOf(/mkfs/);
  assert.match(lines[format] ?? '', /^if ! blkid "\$DEVICE" .*then mkfs -t xfs "\$DEVICE"; fi$/);
  assert.ok(format < lineOf(/^FS_UUID=\$\(blkid -s UUID/));
  assert.match(script, /echo "UUID=\$FS_UUID \/data \$FS_TYPE defaults,nofail 0 2" >> \/etc\/fstab/);
  assert.match(script, /grep -q "\^UUID=\$FS_UUID " \/etc\/fstab \|\|/, 'fstab entry is added once');
});

test('creates the data directories for their container users, then marks the instance for placement', () => {
  assert.match(script, /chown 65534:65534 \/data\/prometheus/);
  assert.match(script, /chown 472:0 \/data\/grafana/);
  assert.ok(lineOf(/mount \/data$/) < lineOf(/ECS_INSTANCE_ATTRIBUTES=\{"ecs-sd.data-volume":"mounted"\}/));
  assert.equal(
    lines.at(-1),
    `echo 'ECS_INSTANCE_ATTRIBUTES={"ecs-sd.data-volume":"mounted"}' >> /etc/ecs/ecs.config`,
  );
});

test('rejects values that would need shell quoting', () => {
  assert.throws(
    () => renderDataVolumeScript({ ...input, tagValue: "a'; rm -rf /" }),
    /tagValue "a'; rm -rf \/" has characters unsafe in a shell script/,
  );
});
