/** Config durations (h, m, s, ms and seconds) and Prometheus durations (model.ParseDuration), each with its own rules. */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { formatDuration, parseConfigDuration, parsePrometheusDuration } from '../../src/lib/duration.ts';

describe('parseConfigDuration', () => {
  test('parses units, combinations and seconds', () => {
    assert.equal(parseConfigDuration('2h'), 7_200_000);
    assert.equal(parseConfigDuration('1m30s'), 90_000);
    assert.equal(parseConfigDuration('250ms'), 250);
    assert.equal(parseConfigDuration('60'), 60_000);
    assert.equal(parseConfigDuration(1.5), 1500);
    assert.equal(parseConfigDuration('1d'), undefined);
    assert.equal(parseConfigDuration(''), undefined);
    assert.equal(parseConfigDuration(-1), undefined);
  });
  test('prints back in Prometheus notation', () => {
    assert.deepEqual([0, 250, 90_000, 7_200_000, 5_400_500].map(formatDuration), [
      '0s',
      '250ms',
      '1m30s',
      '2h',
      '1h30m500ms',
    ]);
  });
});

describe('parsePrometheusDuration', () => {
  const durations: [string, number | undefined][] = [
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    ['0s', undefined],
    ['1.5m', undefined],
    ['fast', undefined],
    ['', undefined],
    ['0', undefined],
    ['292y', 9_208_512_000_000],
    ['293y', undefined],
    ['300000y', undefined],
    ['292y24w3d23h47m16s854ms', 9_223_372_036_854],
    ['292y24w3d23h47m16s855ms', undefined],
    [`${'9'.repeat(60_000)}s`, undefined],
    ['000000000000000000000015s', 15_000],
  ];
  for (const [text, ms] of durations)
    it(`parses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text)} as ${ms}`, () =>
      assert.equal(parsePrometheusDuration(text), ms));
});
