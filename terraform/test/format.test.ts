// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests compare HCL expressions, whose ${...} is Terraform's, verbatim
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { listFiles, TERRAFORM_DIR } from './support/hcl.ts';
import { checkHclLayout } from './support/hcl-format.ts';

// Our own layout check, so that a machine without terraform still catches the usual slips. It is
// not `terraform fmt`: terraform-cli.test.ts runs the real `terraform fmt -check` where it can.
describe('HCL layout (a subset of terraform fmt)', () => {
  it('every .tf and .tftest.hcl file has two-space indentation, aligned =, no tabs or trailing spaces', () => {
    const files = [...listFiles(TERRAFORM_DIR, '.tf'), ...listFiles(TERRAFORM_DIR, '.tftest.hcl')];
    assert.ok(files.length >= 20, `expected the modules' files, found ${files.length}`);
    const problems = files.flatMap((f) =>
      checkHclLayout(relative(TERRAFORM_DIR, f), readFileSync(f, 'utf8')),
    );
    assert.deepEqual(problems, []);
  });

  it('reports misaligned =, wrong indentation and tabs', () => {
    const text = [
      'resource "a" "b" {',
      '  name = "x"',
      '  description = "y"',
      '   tags = {}',
      '\tcount = 1',
      '}',
      '',
    ].join('\n');
    assert.deepEqual(checkHclLayout('bad.tf', text), [
      "bad.tf:2: '=' at column 8, aligned column is 15",
      'bad.tf:4: indented 3 spaces, expected 2',
      'bad.tf:5: tab',
      'bad.tf:5: indented 1 spaces, expected 2',
    ]);
  });

  it('accepts aligned attributes, nested blocks and multi-line values', () => {
    const text = [
      'variable "x" {',
      '  description = "y"',
      '  type        = string',
      '  default = {',
      '    a   = 1',
      '    bcd = "${var.z}"',
      '  }',
      '}',
      '',
    ].join('\n');
    assert.deepEqual(checkHclLayout('good.tf', text), []);
  });
});
