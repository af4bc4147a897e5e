import type Dockerode from 'dockerode'
import type { WaitStrategy } from 'testcontainers'

/** Mosquitto stopped before it was running; `log` is what it printed (why it refused the config, usually). */
export class MosquittoExitedError extends Error {
  readonly log: string
  constructor(log: string) {
    super(`Mosquitto exited before it was running${log ? `: ${log.trim().split('\n').at(-1)}` : ''}`)
    this.name = 'MosquittoExitedError'
    this.log = log
  }
}

/**
 * Testcontainers' wait strategy for Mosquitto: ready once it logs "mosquitto version X running" (after its
 * listeners are open). Unlike Wait.forLogMessage it keeps the log, because Testcontainers removes a container
 * that failed to start, and with it the only explanation a student would get for a bad mosquitto.conf.
 */
export class MosquittoRunningWait implements WaitStrategy {
  #startupTimeoutMs = 30_000
  #isTimeoutSet = false

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers')
    const client = await getContainerRuntimeClient()
    const stream = await client.container.logs(container, { since: 0 })
    await new Promise<void>((resolve, reject) => {
      let log = ''
      const timer = setTimeout(() => {
        stream.destroy()
        reject(new Error(`Mosquitto did not log "running" within ${this.#startupTimeoutMs} ms; it said:\n${log}`))
      }, this.#startupTimeoutMs)
      stream.on('data', (chunk: Buffer | string) => {
        // Strip Docker's stream-multiplexing headers if the stream still has them.
        log += String(chunk).replace(/[\u0000-\u0008]/g, '')
        if (/mosquitto version \S+ running/.test(log)) {
          clearTimeout(timer)
          stream.destroy()
          resolve()
        }
      })
      stream.on('end', () => {
        clearTimeout(timer)
        reject(new MosquittoExitedError(log))
      })
    })
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.#startupTimeoutMs = startupTimeoutMs
    this.#isTimeoutSet = true
    return this
  }

  isStartupTimeoutSet(): boolean {
    return this.#isTimeoutSet
  }

  getStartupTimeout(): number {
    return this.#startupTimeoutMs
  }
}
