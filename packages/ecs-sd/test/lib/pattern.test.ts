import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePattern, type Pattern } from '../../src/lib/pattern.ts';

function pattern(source: string): Pattern {
  const compiled = compilePattern(source);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.message);
  return compiled.value;
}

function refusal(source: string): string {
  const compiled = compilePattern(source);
  assert.ok(!compiled.ok, `expected ${JSON.stringify(source)} to be refused`);
  return compiled.message;
}

describe('compilePattern', () => {
  test('a pattern that backtracks catastrophically in JavaScript answers at once on a long name', () => {
    // With RegExp, /^(?:(a+)+|prod)$/ on this name takes about 2^35 steps: the test would never end.
    const p = pattern('(a+)+|prod');
    const hostile = `${'a'.repeat(35)}-x`;
    assert.equal(p.test(hostile), false);
    assert.equal(p.test(`${'a'.repeat(100_000)}-x`), false);
    assert.equal(p.test('a'.repeat(100_000)), true);
    assert.equal(p.test('prod'), true);
    assert.equal(pattern('(x+x+)+y').test('x'.repeat(50_000)), false);
    assert.equal(pattern('(.*a){20}').test('a'.repeat(40)), true);
  });

  test('matches whole values, case-sensitively, with . matching newlines as Prometheus does', () => {
    const p = pattern('prod-.*');
    assert.equal(p.test('prod-eu'), true);
    assert.equal(p.test('preprod-eu'), false, 'anchored at the start');
    assert.equal(pattern('prod').test('prod-eu'), false, 'anchored at the end');
    assert.equal(p.test('PROD-eu'), false, 'case-sensitive');
    assert.equal(pattern('team|app').test('teams'), false, 'the alternation is inside the anchors');
    assert.equal(pattern('a.b').test('a\nb'), true, 'Prometheus compiles ^(?s:REGEX)$');
    assert.equal(pattern('').test(''), true);
    assert.equal(pattern('').test('x'), false);
  });

  test('takes the RE2 syntax Prometheus users write', () => {
    const cases: [string, string, boolean][] = [
      ['(?i)prod', 'PROD', true],
      ['(?i:prod)-eu', 'Prod-eu', true],
      ['(?i:prod)-eu', 'Prod-EU', false],
      ['\\d+', '2024', true],
      ['\\d+', '20a4', false],
      ['[[:alpha:]]+', 'orders', true],
      ['[[:alpha:]]+', 'orders1', false],
      ['\\pL+', 'héllo', true],
      ['\\p{Greek}+', 'αβγ', true],
      ['(?P<env>prod|staging)-.*', 'staging-1', true],
      ['(?<env>prod)-.*', 'prod-1', true],
      ['\\Qa.b\\E', 'a.b', true],
      ['\\Qa.b\\E', 'axb', false],
      ['\\x{41}\\z', 'A', true],
      ['a{2,3}', 'aaa', true],
      ['.', '😀', true],
      ['.*', '\ud800 lone surrogate', true],
    ];
    for (const [source, input, expected] of cases) {
      assert.equal(pattern(source).test(input), expected, `${source} on ${JSON.stringify(input)}`);
    }
  });

  test('refuses what RE2 does not support, naming it in our words', () => {
    const why = (source: string) =>
      / RE2 accepts \((.*)\), expected RE2 syntax as in Prometheus$/.exec(refusal(source))?.[1];
    assert.equal(
      refusal('(?=x)'),
      '"(?=x)" is not a regular expression RE2 accepts (lookahead is not supported), expected RE2 syntax as in Prometheus',
    );
    const cases: [string, string][] = [
      ['a(?!b)', 'lookahead is not supported'],
      ['(?<=x)y', 'lookbehind is not supported'],
      ['x(?<!y)', 'lookbehind is not supported'],
      ['(a)\\1', 'backreferences are not supported'],
      ['(?<n>a)\\k<n>', 'backreferences are not supported'],
      ['(?P<n>a)(?P=n)', 'backreferences are not supported'],
      ['(?>a)b', 'atomic groups are not supported'],
      ['a++', 'possessive quantifiers are not supported'],
      ['a{2}+', 'possessive quantifiers are not supported'],
      ['(?#note)a', 'comments are not supported'],
      ['([', 'missing closing ] in "["'],
      ['a**', 'invalid nested repetition operator in "**"'],
      ['a{1001}', 'invalid repeat count in "{1001}"'],
      ['\\u0041', 'invalid escape sequence in "\\\\u"'],
      ['a\\', 'trailing backslash at end of expression'],
    ];
    for (const [source, reason] of cases) assert.equal(why(source), reason, source);
  });

  test('refuses an unbalanced pattern that would escape its anchors', () => {
    // `^(?s:a)|(b)$` compiles, and would match any name starting with "a": refused alone first.
    assert.match(refusal('a)|(b'), /^"a\)\|\(b" is not a regular expression RE2 accepts \(unexpected \) in /);
  });

  test('is frozen and serializes as its source', () => {
    const p = pattern('prod-.*');
    assert.equal(p.source, 'prod-.*');
    assert.ok(Object.isFrozen(p));
    assert.equal(JSON.stringify({ cluster: p }), '{"cluster":"prod-.*"}');
    assert.equal(String(p), 'prod-.*');
  });
});
