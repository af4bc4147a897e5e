import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { listPages } from '../test/support/static-site.ts'

export interface PageJavaScript {
  page: string
  /** Bytes of JavaScript the page loads before any interaction (module scripts and their static imports). */
  bytes: number
  gzipBytes: number
  /** The files, as site paths (/_astro/...), and `inline:<n>` for inline scripts. */
  scripts: string[]
  /** What a Playground loads when a student first starts it (the in-page broker, MQTT.js), if the page has one. */
  onFirstUse?: { bytes: number; gzipBytes: number; scripts: string[] }
}

const staticImport = /(?:^|[;}\s])import(?:\s*[\w$*{},\s]*?from)?\s*["']([^"']+\.m?js)["']/g

/** A page's scripts: the ones its HTML names (roots), what each imports statically, and every file's text. */
export interface PageScriptGraph {
  page: string
  roots: string[]
  imports: Map<string, string[]>
  text: Map<string, string>
}

/** Reads one built page's script graph. Inline scripts are named `inline:<hash of their text>`. */
export async function readPageScripts(distDir: string, page: string): Promise<PageScriptGraph> {
  const html = await readFile(path.join(distDir, page, 'index.html'), 'utf8')
  const graph: PageScriptGraph = { page, roots: [], imports: new Map(), text: new Map() }
  const queue: string[] = []
  const importsOf = (source: string, base: string) =>
    [...source.matchAll(staticImport)].map((match) => new URL(match[1], `http://site${base}`).pathname)
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    const attributes = match[1]
    if (/type="application\/(ld\+)?json"/.test(attributes)) continue
    const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1]
    if (src) {
      const id = new URL(src, `http://site${page}`).pathname
      graph.roots.push(id)
      queue.push(id)
    } else if (match[2].trim()) {
      const id = `inline:${createHash('sha1').update(match[2]).digest('hex').slice(0, 10)}`
      graph.roots.push(id)
      graph.text.set(id, match[2])
      graph.imports.set(id, importsOf(match[2], page))
      queue.push(...graph.imports.get(id)!)
    }
  }
  while (queue.length > 0) {
    const next = queue.shift()!
    if (graph.imports.has(next) && graph.text.has(next)) continue
    const source = await readFile(path.join(distDir, next), 'utf8')
    graph.text.set(next, source)
    graph.imports.set(next, importsOf(source, next))
    queue.push(...graph.imports.get(next)!)
  }
  return graph
}

/**
 * The JavaScript each built page loads: its module scripts and everything they import statically. Dynamic
 * imports (Pagefind's search, loaded when the search box opens) are left out: they cost nothing until used.
 */
export async function measureSiteJavaScript(distDir: string): Promise<PageJavaScript[]> {
  const results: PageJavaScript[] = []
  for (const page of await listPages(distDir)) {
    const graph = await readPageScripts(distDir, page)
    const onFirstUse = await readFirstUseScripts(distDir, graph, 'data-playground')
    results.push({
      page,
      ...sizes([...graph.text.values()]),
      scripts: [...graph.text.keys()].sort(),
      ...(onFirstUse.size > 0
        ? { onFirstUse: { ...sizes([...onFirstUse.values()]), scripts: [...onFirstUse.keys()].sort() } }
        : {}),
    })
  }
  return results
}

function sizes(texts: string[]): { bytes: number; gzipBytes: number } {
  const buffers = texts.map((text) => Buffer.from(text))
  return {
    bytes: buffers.reduce((sum, buffer) => sum + buffer.length, 0),
    gzipBytes: buffers.reduce((sum, buffer) => sum + gzipSync(buffer).length, 0),
  }
}

/**
 * The files a page's component loads on first use, beyond what the page already loaded: Vite lists a dynamic
 * import's chunks in `__vite__mapDeps` (paths from the site root, without the base path), in the script of
 * the component whose markup it looks for.
 */
export async function readFirstUseScripts(
  distDir: string,
  graph: PageScriptGraph,
  marker: string,
): Promise<Map<string, string>> {
  const loaded = new Map<string, string>()
  const queue: string[] = []
  for (const text of graph.text.values()) {
    if (!text.includes(marker)) continue
    const list = /__vite__mapDeps=[^[]*\[([^\]]*)\]/.exec(text)?.[1] ?? ''
    for (const match of list.matchAll(/"([^"]+\.js)"/g)) queue.push(`/${match[1].replace(/^\//, '')}`)
  }
  while (queue.length > 0) {
    const next = queue.shift()!
    if (graph.text.has(next) || loaded.has(next)) continue
    const source = await readFile(path.join(distDir, next), 'utf8')
    loaded.set(next, source)
    queue.push(...[...source.matchAll(staticImport)].map((match) => new URL(match[1], `http://site${next}`).pathname))
  }
  return loaded
}
