/**
 * Preloaded into every student program (`node --import`). A submission graded with `--dir` may live outside the
 * course folder, where `import mqtt from 'mqtt'` finds no node_modules: resolve such bare imports from the
 * course's own node_modules instead, as if the file sat in exercises/.
 */
import { registerHooks } from 'node:module'

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
