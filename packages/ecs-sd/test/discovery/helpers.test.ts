import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePort, sanitizeLabelName } from '../../src/discovery/index.ts';

describe('sanitizeLabelName', () => {
  const cases: [string, string][] = [
    ['aws:autoscaling:groupName', 'aws_autoscaling_groupName'],
    ['com.example/team-name', 'com_example_team_name'],
    ['Already_OK_1', 'Already_OK_1'],
    ['ünïcode key', '_n_code_key'],
  ];
  for (const [name, want] of cases)
    it(`turns ${name} into ${want}`, () => assert.equal(sanitizeLabelName(name), want));
});

describe('parsePort', () => {
  it('accepts decimal ports 1-65535 only', () => {
    assert.deepEqual(['9100', ' 80 ', '0', '65536', '91OO', '-1', '0x50', ''].map(parsePort), [
      9100,
      80,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
