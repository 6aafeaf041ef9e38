/**
 * Whether a function's last parameter is a rest parameter (`...args`), read from its source:
 * neither `length` nor decorator metadata tells a rest parameter from a defaulted one.
 */
export function hasRestParameter(fn: Function): boolean {
  const source = Function.prototype.toString.call(fn);
  const open = source.indexOf('(');
  const arrow = source.indexOf('=>');
  // `a => f(...a)`: a single parameter without parentheses, so never a rest parameter.
  if (open === -1 || (arrow !== -1 && arrow < open)) return false;
  let depth = 0;
  let lastParamStart = open + 1;
  for (let i = open; i < source.length; i++) {
    const char = source[i];
    if (char === '"' || char === "'" || char === '`') {
      i = endOfString(source, i);
    } else if (char === '/' && (source[i + 1] === '/' || source[i + 1] === '*')) {
      i = source.indexOf(source[i + 1] === '/' ? '\n' : '*/', i + 2);
      if (i === -1) return false;
    } else if (char === '(' || char === '[' || char === '{') {
      depth++;
    } else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (depth === 0) return withoutComments(source.slice(lastParamStart, i)).trim().startsWith('...');
    } else if (char === ',' && depth === 1) {
      lastParamStart = i + 1;
    }
  }
  return false;
}

function endOfString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
}
