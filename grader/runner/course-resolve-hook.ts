/**
 * Preloaded into every student program (`node --import`).
 *
 * 1. A submission graded with `--dir` may live outside the course folder, where `import mqtt from 'mqtt'`
 *    finds no node_modules: such bare imports resolve from the course's own node_modules instead, as if the
 *    file sat in exercises/.
 * 2. mqtt-packet (inside MQTT.js) fills a 65,536-buffer cache on its first write, ~90 ms of a program's
 *    start-up; the grader starts programs many times, so the cache is switched off (output is identical).
 */
import { createRequire, registerHooks } from 'node:module'

const courseRoot = new URL('../../package.json', import.meta.url).href

registerHooks({
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
