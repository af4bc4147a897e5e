import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs'
import path from 'node:path'

/** How long the tree must stay quiet after a change before we call it saved: editors write in bursts. */
const settleMs = 150
const pollMs = 500

/**
 * Resolves when a file under `dirs` changes (and the burst of writes has settled), or when `signal` aborts.
 * Uses fs.watch; where that fails (some network and container file systems), falls back to polling mtimes.
 */
export function waitForChange(dirs: readonly string[], signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settle: NodeJS.Timeout | undefined
    let lastChanged: string | undefined
    const watchers: FSWatcher[] = []
    let poll: NodeJS.Timeout | undefined
    const finish = (changed: string | undefined) => {
      clearTimeout(settle)
      clearInterval(poll)
      for (const watcher of watchers) watcher.close()
      signal.removeEventListener('abort', onAbort)
      resolve(changed)
    }
    const onChange = (file: string) => {
      if (/(^|\/)(node_modules|\.git)\//.test(file) || /~$|\.swp$/.test(file)) return
      lastChanged = file
      clearTimeout(settle)
      settle = setTimeout(() => finish(lastChanged), settleMs)
    }
    const onAbort = () => finish(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      for (const dir of dirs) {
        watchers.push(watch(dir, { recursive: true }, (_event, name) => onChange(path.join(dir, String(name ?? '')))))
      }
    } catch {
      for (const watcher of watchers.splice(0)) watcher.close()
      let snapshot = snapshotMtimes(dirs)
      poll = setInterval(() => {
        const next = snapshotMtimes(dirs)
        for (const [file, mtime] of next) if (snapshot.get(file) !== mtime) onChange(file)
        for (const file of snapshot.keys()) if (!next.has(file)) onChange(file)
        snapshot = next
      }, pollMs)
    }
  })
}

function snapshotMtimes(dirs: readonly string[]): Map<string, number> {
  const mtimes = new Map<string, number>()
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) visit(full)
      else mtimes.set(full, statSync(full).mtimeMs)
    }
  }
  for (const dir of dirs) visit(dir)
  return mtimes
}
