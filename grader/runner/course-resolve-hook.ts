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
 * 3. mqtt-packet (inside MQTT.js) fills a 65,536-buffer cache on its first write, ~90 ms of a program's
 *    start-up; the grader starts programs many times, so the cache is switched off (output is identical).
 */
import { createRequire, flushCompileCache, registerHooks } from 'node:module'

const courseRoot = new URL('../../package.json', import.meta.url).href

let pendingFlush: NodeJS.Immediate | undefined

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context)
    clearImmediate(pendingFlush)
    pendingFlush = setImmediate(flushCompileCache).unref()
    return loaded
  },
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      const isBare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':')
      if (!isBare || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error
      return nextResolve(specifier, { ...context, parentURL: courseRoot })
    }
  },
})

try {
  const mqttPacket = createRequire(courseRoot)('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } }
  mqttPacket.writeToStream.cacheNumbers = false
} catch {
  // No mqtt-packet here (a program that does not use MQTT.js): nothing to tune.
}
