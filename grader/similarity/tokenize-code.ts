import { File, Region, TokenizedFile } from '@dodona/dolos-core'

/**
 * Source code as Dolos compares it: the structure, not the names. Dolos's own parsers (tree-sitter, through
 * @dodona/dolos-lib) emit syntax-tree node types, so renaming a variable or rewording a comment changes nothing;
 * this lexer does the same for the languages the course grades (TypeScript/JavaScript and Python): keywords and
 * operators are kept, every identifier becomes `id`, every string `str`, every number `num`, and comments and
 * whitespace go. The winnowing and the pair similarity are Dolos's (@dodona/dolos-core).
 */
const keywords = new Set([
  // TypeScript / JavaScript
  'async',
  'await',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'default',
  'delete',
  'do',
  'else',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'from',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'let',
  'new',
  'null',
  'of',
  'return',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'undefined',
  'var',
  'void',
  'while',
  'yield',
  'interface',
  'type',
  'as',
  'satisfies',
  // Python
  'and',
  'def',
  'elif',
  'except',
  'global',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'with',
  'None',
  'True',
  'False',
])

const lexer = (comment: string) =>
  new RegExp(
    [
      `(?<comment>${comment})`,
      String.raw`(?<string>"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\x60(?:[^\x60\\]|\\.)*\x60)`,
      String.raw`(?<number>\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?n?\b|\b0x[\da-f_]+\b)`,
      String.raw`(?<word>[\p{L}_$][\p{L}\p{N}_$]*)`,
      String.raw`(?<operator>===|!==|\*\*=|\?\?=|\.\.\.|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.|\+\+|--|\+=|-=|\*=|/=|%=|\*\*|<<|>>|[{}()[\];,.:?~!%^&*+\-=<>|/@])`,
      String.raw`(?<space>\s+)`,
    ].join('|'),
    'giu',
  )
const patterns = { script: lexer(String.raw`//[^\n]*|/\*[\s\S]*?\*/`), python: lexer(String.raw`#[^\n]*`) }

/** One file's tokens and, for each, where it is (rows and columns, as Dolos's fragments report them). */
export function tokenizeCode(path: string, content: string): TokenizedFile {
  const tokens: string[] = []
  const mapping: Region[] = []
  const lineStarts = [0]
  for (let index = 0; index < content.length; index++) if (content[index] === '\n') lineStarts.push(index + 1)
  const position = (offset: number): [number, number] => {
    let low = 0
    let high = lineStarts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (lineStarts[middle] <= offset) low = middle
      else high = middle - 1
    }
    return [low, offset - lineStarts[low]]
  }
  for (const match of content.matchAll(path.endsWith('.py') ? patterns.python : patterns.script)) {
    const groups = match.groups!
    if (groups.comment !== undefined || groups.space !== undefined) continue
    const token =
      groups.string !== undefined
        ? 'str'
        : groups.number !== undefined
          ? 'num'
          : groups.word !== undefined
            ? keywords.has(groups.word)
              ? groups.word
              : 'id'
            : match[0]
    const [startRow, startCol] = position(match.index)
    const [endRow, endCol] = position(match.index + match[0].length)
    tokens.push(token)
    mapping.push(new Region(startRow, startCol, endRow, endCol))
  }
  return new TokenizedFile(new File(path, content), tokens, mapping)
}
