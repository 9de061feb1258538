/**
 * A modest layout check of HCL text in the spirit of `terraform fmt` (it is not terraform fmt): no
 * tabs, no trailing spaces, LF line ends and a final newline, two-space indentation that follows
 * the brackets, and `=` aligned across consecutive single-line attributes. Returns one message per
 * problem, `file:line: what`.
 */
export function checkHclLayout(file: string, text: string): string[] {
  const problems: string[] = [];
  if (text.includes('\r')) problems.push(`${file}: CR line ends`);
  if (!text.endsWith('\n') || text.endsWith('\n\n'))
    problems.push(`${file}: must end with exactly one newline`);
  const lines = text.split('\n');
  // One entry per line that left brackets open: a line indents one level per entry, and a line that
  // starts with a closing bracket sits at the level of the line that opened it.
  const open: number[] = [];
  let group: { line: number; indent: number; eq: number; keyEnd: number }[] = [];
  let inHeredoc: string | undefined;

  const closeGroup = () => {
    if (group.length > 1) {
      const want = Math.max(...group.map((g) => g.keyEnd)) + 1;
      for (const g of group) {
        if (g.eq !== want)
          problems.push(`${file}:${g.line}: '=' at column ${g.eq + 1}, aligned column is ${want + 1}`);
      }
    } else if (group.length === 1 && group[0]!.eq !== group[0]!.keyEnd + 1) {
      problems.push(`${file}:${group[0]!.line}: one space before '='`);
    }
    group = [];
  };

  for (const [index, line] of lines.entries()) {
    const n = index + 1;
    if (inHeredoc !== undefined) {
      if (line.trim() === inHeredoc) inHeredoc = undefined;
      continue;
    }
    if (line.includes('\t')) problems.push(`${file}:${n}: tab`);
    if (/ +$/.test(line)) problems.push(`${file}:${n}: trailing spaces`);
    const trimmed = line.trim();
    const code = stripStringsAndComments(trimmed);
    const opens = count(code, /[{[(]/g);
    const closes = count(code, /[}\])]/g);
    if (trimmed !== '') {
      const indent = line.length - line.trimStart().length;
      const expected = 2 * (/^[}\])]/.test(code) ? Math.max(open.length - 1, 0) : open.length);
      if (indent !== expected) problems.push(`${file}:${n}: indented ${indent} spaces, expected ${expected}`);
    }
    const attribute = /^(\s*)([A-Za-z_][\w-]*|"[^"]*"|\([\w.]+\))(\s*)=(?!=)/.exec(line);
    if (attribute && opens === closes) {
      const keyEnd = attribute[1]!.length + attribute[2]!.length;
      const eq = keyEnd + attribute[3]!.length;
      if (group.length > 0 && group[0]!.indent !== attribute[1]!.length) closeGroup();
      group.push({ line: n, indent: attribute[1]!.length, eq, keyEnd });
    } else {
      closeGroup();
    }
    const heredoc = /<<-?([A-Z]+)$/.exec(trimmed);
    if (heredoc) inHeredoc = heredoc[1];
    let ownEntry = false;
    for (const ch of code) {
      if ('{[('.includes(ch)) {
        if (ownEntry) open[open.length - 1]!++;
        else {
          open.push(1);
          ownEntry = true;
        }
      } else if ('}])'.includes(ch)) {
        if (open.length === 0) {
          problems.push(`${file}:${n}: unbalanced closing bracket`);
          continue;
        }
        open[open.length - 1]!--;
        if (open[open.length - 1] === 0) {
          open.pop();
          ownEntry = false;
        }
      }
    }
  }
  closeGroup();
  if (open.length !== 0) problems.push(`${file}: ${open.length} unclosed bracket level(s) at end of file`);
  const lineOf = (p: string) => Number(/^[^:]+:(\d+):/.exec(p)?.[1] ?? 0);
  return problems.sort((a, b) => lineOf(a) - lineOf(b));
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** Removes string literals (keeping interpolation brackets balanced by dropping them too) and comments. */
function stripStringsAndComments(line: string): string {
  let out = '';
  let inString = false;
  let interpolation = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '$' && line[i + 1] === '{') {
        interpolation++;
        i++;
      } else if (ch === '}' && interpolation > 0) interpolation--;
      else if (ch === '"' && interpolation === 0) inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '#' || (ch === '/' && line[i + 1] === '/')) break;
    else out += ch;
  }
  return out;
}
