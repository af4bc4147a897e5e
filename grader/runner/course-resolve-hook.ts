/**
 * Preloaded into every student program (`node --import`).
 *
 * 1. A submission graded with `--dir` may live outside the course folder, where `import mqtt from 'mqtt'`
 *    finds no node_modules: such bare imports resolve from the course's own node_modules instead, as if the
 *    file sat in exercises/.
 * 2. Node writes its compile cache (NODE_COMPILE_CACHE) when a program exits normally, and the grader always
 *    stops programs with a signal: without help the cache would never hold MQTT.js, and every run would
 *    compile it again (~80 ms). So the cache is flushed once loading has settled: after each module loads,
 *    a flush is queued for the next turn of the event loop, replacing the previous one.
 * 3. TypeScript the grader has already stripped (strip-ahead.ts, named by MQTT_COURSE_STRIPPED) is run from
 *    that copy while the file still holds the same text, so Node does not start its stripper (~60 ms).
 * 4. mqtt-packet (inside MQTT.js) fills a 65,536-buffer cache on its first write, ~90 ms of a program's
 *    start-up; the grader starts programs many times, so the cache is switched off (output is identical).
 */
import { existsSync, readFileSync } from 'node:fs'
import { type LoadFnOutput, type LoadHookContext, createRequire, flushCompileCache, registerHooks } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const courseRoot = new URL('../../package.json', import.meta.url).href

let pendingFlush: NodeJS.Immediate | undefined

let stripped = readStrippedManifest(process.env.MQTT_COURSE_STRIPPED)
// The grader's business, not the program's: its environment is the one the exercise gave it.
delete process.env.MQTT_COURSE_STRIPPED

/** A program on standby (standby-bootstrap.ts) learns its manifest only when its run begins. */
export function useStrippedManifest(manifest: string): void {
  stripped = readStrippedManifest(manifest)
}

registerHooks({
  load(url, context, nextLoad) {
    const loaded = loadStripped(url, context, nextLoad) ?? nextLoad(url, context)
    clearImmediate(pendingFlush)
    pendingFlush = setImmediate(flushCompileCache).unref()
    return loaded
  },
  resolve(specifier, context, nextResolve) {
    const ahead = strippedUrl(specifier, context.parentURL)
    if (ahead) return { url: ahead, shortCircuit: true }
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      const isBare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':')
      if (!isBare || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error
      return nextResolve(specifier, { ...context, parentURL: courseRoot })
    }
  },
})

function readStrippedManifest(
  manifest: string | undefined,
): Record<string, { source: string; code: string; detectAs?: string }> {
  if (!manifest) return {}
  try {
    return (
      JSON.parse(readFileSync(manifest, 'utf8')) as {
        files: Record<string, { source: string; code: string; detectAs?: string }>
      }
    ).files
  } catch {
    return {}
  }
}

/**
 * A file with a stripped copy, named by path or relative path (the entry, './lib.ts'), resolves here: Node
 * loads a CommonJS module it resolved itself again from disk, past the load hook, so it would strip it anyway.
 * Only an exact match of a file still there; anything else (a query, a folder, a missing file) is Node's.
 */
function strippedUrl(specifier: string, parentURL: string | undefined): string | undefined {
  let url: string
  try {
    if (specifier.startsWith('file:')) url = new URL(specifier).href
    else if (specifier.startsWith('/')) url = pathToFileURL(specifier).href
    else if ((specifier.startsWith('./') || specifier.startsWith('../')) && parentURL?.startsWith('file:'))
      url = new URL(specifier, parentURL).href
    else return undefined
  } catch {
    return undefined
  }
  return Object.hasOwn(stripped, url) && existsSync(fileURLToPath(url)) ? url : undefined
}

/** The grader's stripped copy of `url`, in the format Node would give it; undefined to let Node load it. */
function loadStripped(
  url: string,
  context: LoadHookContext,
  nextLoad: (url: string, context?: Partial<LoadHookContext>) => LoadFnOutput,
): LoadFnOutput | undefined {
  const ahead = Object.hasOwn(stripped, url) ? stripped[url] : undefined
  if (!ahead) return undefined
  try {
    // As Node reads it: UTF-8 without a byte order mark. A file changed since (by the program itself) is Node's.
    if (new TextDecoder().decode(readFileSync(fileURLToPath(url))) !== ahead.source) return undefined
    // module-typescript or commonjs-typescript when the extension or a package.json "type" says so, as in Node.
    let format = /^(module|commonjs)-typescript$/.exec(String(context.format))?.[1]
    format ??= url.endsWith('.mts') ? 'module' : url.endsWith('.cts') ? 'commonjs' : packageType(url)
    // Otherwise Node tells an ES module from CommonJS by its stripped code: the same code, in a .js file.
    format ??= ahead.detectAs ? String(nextLoad(ahead.detectAs, { ...context, format: undefined }).format) : undefined
    return format === 'module' || format === 'commonjs' ? { format, source: ahead.code, shortCircuit: true } : undefined
  } catch {
    return undefined
  }
}

/** The "type" of the package.json nearest to the file (as Node looks for it), when it says module or commonjs. */
function packageType(url: string): string | undefined {
  let dir = path.dirname(fileURLToPath(url))
  while (!dir.endsWith(`${path.sep}node_modules`)) {
    let text: string | undefined
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8')
    } catch {
      // None here: look further up.
    }
    if (text !== undefined) {
      const type = (JSON.parse(text) as { type?: unknown }).type
      return type === 'module' || type === 'commonjs' ? type : undefined
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
  return undefined
}

try {
  const mqttPacket = createRequire(courseRoot)('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } }
  mqttPacket.writeToStream.cacheNumbers = false
} catch {
  // No mqtt-packet here (a program that does not use MQTT.js): nothing to tune.
}
