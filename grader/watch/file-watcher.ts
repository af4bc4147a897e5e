import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs'
import path from 'node:path'

export interface FileWatcherOptions {
  dir: string
  /** Poll mtimes from the start instead of listening for file events. */
  poll?: boolean
  /** A save has settled: `file` is the last file written. */
  onChange: (file: string) => void
  /** File events are not arriving (or cannot be listened for): now polling, and why. */
  onPolling?: (reason: string) => void
}

/** How long the folder must stay quiet after a write before we call it saved: editors write in bursts. */
const settleMs = 30
const pollMs = 250
/** With file events, mtimes are still compared this often, to notice events that never come. */
const auditMs = 1_000
/** A change this recent may still have its event on the way. */
const eventGraceMs = 300

/**
 * Watches a submission folder for saves, for as long as `watch` runs. File events (fs.watch) are fast but not
 * everywhere reliable: WSL's /mnt, network drives and some container mounts drop them. So while listening
 * for events it also compares mtimes every second; a file whose mtime moved with no event for it means events
 * are being lost, and the watcher switches to polling for good (and reports the save it would have missed).
 */
export class FileWatcher {
  readonly #options: FileWatcherOptions
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  #settle: NodeJS.Timeout | undefined
  #snapshot: Map<string, number>
  /** Files with an event since the audit last looked at them. */
  readonly #evented = new Set<string>()
  #lastChanged = ''
  #isPolling = false
  #isClosed = false

  constructor(options: FileWatcherOptions) {
    this.#options = options
    this.#snapshot = snapshotMtimes(options.dir)
    if (options.poll) {
      this.#startPolling()
      return
    }
    try {
      this.#watcher = watch(options.dir, { recursive: true }, (_event, name) =>
        this.#onEvent(path.join(options.dir, String(name ?? ''))),
      )
      this.#watcher.on('error', (error) => this.#switchToPolling(`file events failed (${error.message})`))
      this.#timer = setInterval(() => this.#audit(), auditMs)
    } catch (error) {
      this.#switchToPolling(`file events are not available here (${(error as Error).message})`)
    }
  }

  get isPolling(): boolean {
    return this.#isPolling
  }

  close(): void {
    this.#isClosed = true
    this.#watcher?.close()
    clearInterval(this.#timer)
    clearTimeout(this.#settle)
  }

  #onEvent(file: string): void {
    if (isIgnored(path.relative(this.#options.dir, file))) return
    this.#evented.add(file)
    this.#changed(file)
  }

  #changed(file: string): void {
    this.#lastChanged = file
    clearTimeout(this.#settle)
    this.#settle = setTimeout(() => {
      if (!this.#isClosed) this.#options.onChange(this.#lastChanged)
    }, settleMs)
  }

  /** Compares mtimes with the last audit; a change old enough to have had its event, and had none, means polling. */
  #audit(): void {
    const now = Date.now()
    const next = snapshotMtimes(this.#options.dir)
    let missed: string | undefined
    const stillEvented = new Set<string>()
    for (const [file, mtime] of next) {
      const before = this.#snapshot.get(file)
      if (before === mtime) continue
      if (now - mtime < eventGraceMs) {
        // Judge it at the next audit: keep the old mtime so it still counts as changed then.
        if (before === undefined) next.delete(file)
        else next.set(file, before)
        if (this.#evented.has(file)) stillEvented.add(file)
        continue
      }
      if (!this.#evented.has(file)) missed ??= file
    }
    this.#evented.clear()
    for (const file of stillEvented) this.#evented.add(file)
    this.#snapshot = next
    if (missed) {
      this.#switchToPolling(`${path.relative(this.#options.dir, missed)} changed and no file event came`)
      this.#changed(missed)
    }
  }

  #switchToPolling(reason: string): void {
    if (this.#isPolling || this.#isClosed) return
    this.#watcher?.close()
    this.#watcher = undefined
    clearInterval(this.#timer)
    this.#startPolling()
    this.#options.onPolling?.(reason)
  }

  #startPolling(): void {
    this.#isPolling = true
    this.#timer = setInterval(() => {
      const next = snapshotMtimes(this.#options.dir)
      for (const [file, mtime] of next) if (this.#snapshot.get(file) !== mtime) this.#changed(file)
      for (const file of this.#snapshot.keys()) if (!next.has(file)) this.#changed(file)
      this.#snapshot = next
    }, pollMs)
  }
}

/** Editors' swap and backup files, dot folders and dependencies are not the student's program. */
function isIgnored(relative: string): boolean {
  return (
    relative.split(path.sep).some((part) => part === 'node_modules' || part.startsWith('.')) ||
    /~$|\.swp$|\.tmp$/.test(relative)
  )
}

function snapshotMtimes(dir: string): Map<string, number> {
  const mtimes = new Map<string, number>()
  const visit = (folder: string) => {
    let entries
    try {
      entries = readdirSync(folder, { withFileTypes: true })
    } catch {
      return // the folder was removed (reset moves it): nothing to compare
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const full = path.join(folder, entry.name)
      try {
        if (entry.isDirectory()) visit(full)
        else mtimes.set(full, statSync(full).mtimeMs)
      } catch {
        // deleted between the listing and the stat: the next look sees it gone
      }
    }
  }
  visit(dir)
  return mtimes
}
