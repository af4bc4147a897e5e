import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseSync } from 'oxc-parser'
import { courseRoot } from './run-cli.ts'

// The grader's layers (test/grader/layers.test.ts holds grader/ to them), as DESIGN.md draws them and ARCHITECTURE.md names them: a folder imports only from the
// layers below its own, never up, and no two modules import each other (types included). The imports are read
// with oxc-parser, a full TypeScript parser (import declarations, `export ... from`, `import()` and `import('...')` types): dependency-cruiser, the usual tool, cannot read this project (it
// needs TypeScript's JavaScript API, which TypeScript 7 does not have, and its swc reader stops at `using`).

/** Top to bottom. Folders on one line are one layer: they may import each other, as long as no cycle forms. */
export const layers: string[][] = [
  ['cli'],
  ['export'],
  ['similarity'],
  ['batch', 'watch', 'progress'],
  ['grade'],
  ['exercises'],
  ['checks'],
  ['report'],
  ['wiretap'],
  ['broker', 'runner'],
  ['sandbox'],
  ['process', 'mqtt', 'time', 'errors', 'course'],
]

export interface ImportEdge {
  from: string
  to: string
  isTypeOnly: boolean
}

export const graderRoot = path.join(courseRoot, 'grader')

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return /\.(ts|js)$/.test(entry.name) ? [full] : []
  })
}

/** The modules named in `import('...')` types (`typeof import('./x.ts').Y`): imports of types too. */
function importTypesIn(node: unknown): string[] {
  if (!node || typeof node !== 'object') return []
  if (Array.isArray(node)) return node.flatMap(importTypesIn)
  const record = node as { type?: string; source?: { value?: unknown } }
  const own = record.type === 'TSImportType' && typeof record.source?.value === 'string' ? [record.source.value] : []
  return [...own, ...Object.values(record).flatMap(importTypesIn)]
}

/** Every import of the course's own files from grader/: static, `export ... from` and `import('...')`. */
export function readImports(files: string[]): ImportEdge[] {
  return files.flatMap((file) => {
    const text = readFileSync(file, 'utf8')
    const { module, program, errors } = parseSync(file, text)
    if (errors.length > 0) throw new Error(`${file} does not parse: ${errors.map((error) => error.message).join('; ')}`)
    const found: Array<{ specifier: string; isTypeOnly: boolean }> = [
      ...module.staticImports.map((entry) => ({
        specifier: entry.moduleRequest.value,
        isTypeOnly: entry.entries.length > 0 && entry.entries.every((name) => name.isType),
      })),
      ...module.staticExports.flatMap((entry) =>
        entry.entries.flatMap((name) =>
          name.moduleRequest ? [{ specifier: name.moduleRequest.value, isTypeOnly: name.isType }] : [],
        ),
      ),
      ...importTypesIn(program).map((specifier) => ({ specifier, isTypeOnly: true })),
      ...module.dynamicImports.flatMap((entry) => {
        const literal = /^['"](.+)['"]$/.exec(text.slice(entry.moduleRequest.start, entry.moduleRequest.end))
        return literal ? [{ specifier: literal[1], isTypeOnly: false }] : []
      }),
    ]
    return found
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier, isTypeOnly }) => ({
        from: path.relative(courseRoot, file),
        to: path.relative(courseRoot, path.resolve(path.dirname(file), specifier)),
        isTypeOnly,
      }))
  })
}

function rankOf(file: string): number | undefined {
  const folder = /^grader\/([^/]+)\//.exec(file)?.[1]
  const rank = layers.findIndex((layer) => layer.includes(folder ?? ''))
  return rank === -1 ? undefined : rank
}

/** Imports that climb: from a layer to one above it, or from the engine into exercises/. */
export function findClimbs(edges: ImportEdge[]): string[] {
  return edges.flatMap(({ from, to }) => {
    if (to.startsWith('exercises/')) return [`${from} imports ${to}: no exercise-specific code lives in grader/`]
    const fromRank = rankOf(from)
    const toRank = rankOf(to)
    if (fromRank === undefined)
      return [`${from} is in a folder with no layer: give it one in test/support/import-layers.ts`]
    if (toRank !== undefined && toRank < fromRank) return [`${from} imports ${to}, a layer above it`]
    return []
  })
}

/** Every cycle among modules (strongly connected components of two or more, or a module importing itself). */
export function findCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to])
  // Tarjan's algorithm.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (node: string): void => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    onStack.add(node)
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!))
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1 || (next.get(node) ?? []).includes(node)) cycles.push(component.sort())
  }
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node)
  return cycles
}
