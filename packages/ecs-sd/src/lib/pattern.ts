/**
 * User-supplied regular expressions with the semantics of Prometheus's relabel regexes: RE2 syntax
 * (Go's regexp: no backreferences, no lookaround), matched in time linear in the input, so a
 * pattern such as `(a+)+` cannot stall discovery on a cluster name or docker label any team
 * controls, and anchored at both ends with `.` matching newlines (Prometheus compiles
 * `^(?s:REGEX)$`). The engine (re2js, a pure-JS port of RE2) stays behind `Pattern`. Pure.
 */
import { RE2JS } from 're2js';

/** A compiled user regex, anchored: `test` is true when the whole input matches. */
export interface Pattern {
  /** The expression as written in the config, without the anchors. */
  readonly source: string;
  /** True when the whole input matches; linear in the input's length, never throws. */
  test(input: string): boolean;
}

/** An RE2 program behind `Pattern`; frozen, and serialized as its source (a RegExp would be `{}`). */
class Re2Pattern implements Pattern {
  readonly source: string;
  readonly #program: RE2JS;

  constructor(source: string, program: RE2JS) {
    this.source = source;
    this.#program = program;
    Object.freeze(this);
  }

  test(input: string): boolean {
    return this.#program.testExact(input);
  }

  toJSON(): string {
    return this.source;
  }

  toString(): string {
    return this.source;
  }
}

/** What re2js reports about a syntax error: its kind and the offending part of the expression. */
interface SyntaxProblem {
  error?: unknown;
  input?: unknown;
  message?: unknown;
}

/** Why RE2 refuses an expression, in our words; the Perl and JavaScript features users reach for are named. */
function reasonFor(source: string, problem: SyntaxProblem): string {
  const kind =
    typeof problem.error === 'string'
      ? problem.error
      : typeof problem.message === 'string'
        ? problem.message.toLowerCase()
        : 'invalid syntax';
  const at = typeof problem.input === 'string' ? problem.input : '';
  if (at.startsWith('(?=') || at.startsWith('(?!')) return 'lookahead is not supported';
  if (at.startsWith('(?<=') || at.startsWith('(?<!')) return 'lookbehind is not supported';
  if (/^\\[1-9k]/.test(at) || (at === '(?P' && source.includes('(?P='))) {
    return 'backreferences are not supported';
  }
  if (at.startsWith('(?>')) return 'atomic groups are not supported';
  if (at.startsWith('(?#')) return 'comments are not supported';
  if (kind === 'invalid nested repetition operator' && at.endsWith('+') && at.length > 1) {
    return 'possessive quantifiers are not supported';
  }
  return at === '' ? kind : `${kind} in ${JSON.stringify(at)}`;
}

/**
 * Compiles a user regex with RE2 semantics, anchored as Prometheus anchors relabel regexes; a
 * message naming the value and what RE2 refused when it is not one.
 */
export function compilePattern(
  source: string,
): { ok: true; value: Pattern } | { ok: false; message: string } {
  try {
    // Alone first: an unbalanced `a)|(b` would otherwise change the meaning of the anchors around it.
    RE2JS.compile(source);
    return { ok: true, value: new Re2Pattern(source, RE2JS.compile(`^(?s:${source})$`)) };
  } catch (error) {
    return {
      ok: false,
      message: `${JSON.stringify(source)} is not a regular expression RE2 accepts (${reasonFor(source, error as SyntaxProblem)}), expected RE2 syntax as in Prometheus`,
    };
  }
}
