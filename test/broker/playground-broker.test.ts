import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import { findFreePort } from '../../grader/broker/free-port.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'

/** Resolves with everything `child` printed once `pattern` appears on its stdout; rejects at the deadline. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; got:\n${output}`)),
      timeoutMs,
    )
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text
      if (pattern.test(output)) {
        clearTimeout(timer)
        resolve(output)
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      reject(new Error(`exited before ${pattern}:\n${output}`))
    })
  })
}

const hasMosquittoSub = (process.env.PATH ?? '')
  .split(path.delimiter)
  .some((dir) => existsSync(path.join(dir, 'mosquitto_sub')))
const skipReason =
  hasMosquittoSub || process.env.CI === 'true'
    ? ''
    : ' (skipped: mosquitto_sub is not installed: apt install mosquitto-clients)'

describe('npm run broker', () => {
  it.skipIf(skipReason !== '')(
    `serves mosquitto_sub over TCP and MQTT.js over WebSockets, with a live packet log${skipReason}`,
    async () => {
      const [port, wsPort] = [await findFreePort(), await findFreePort()]
      const broker = spawn(
        process.execPath,
        [path.join(courseRoot, 'grader/cli/main.js'), 'broker', '--port', String(port), '--ws-port', String(wsPort)],
        { cwd: courseRoot },
      )
      try {
        const banner = await waitForOutput(broker, /Press Ctrl-C to stop/)
        expect(banner).toContain(`mqtt://localhost:${port}`)
        expect(banner).toContain(`ws://localhost:${wsPort}`)

        // The real mosquitto_sub, exactly as the lessons tell students to run it.
        const sub = spawn('mosquitto_sub', [
          '-h',
          'localhost',
          '-p',
          String(port),
          '-t',
          '#',
          '-v',
          '-C',
          '1',
          '-W',
          '20',
        ])
        const received = new Promise<string>((resolve) => {
          let text = ''
          sub.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
          sub.on('exit', () => resolve(text))
        })
        const log = waitForOutput(broker, /PUBLISH playground\/hello/)
        await waitForOutput(broker, /SUBSCRIBE # \(qos 0\)/)

        // A browser-style client over WebSockets.
        const client = await mqtt.connectAsync(`ws://127.0.0.1:${wsPort}`, { clientId: 'ws-test', reconnectPeriod: 0 })
        await client.publishAsync('playground/hello', 'over websockets')
        await client.endAsync()

        expect((await received).trim()).toBe('playground/hello over websockets')
        expect(await log).toMatch(/ws-test PUBLISH playground\/hello qos=0 retain=0 "over websockets"/)
      } finally {
        broker.kill('SIGINT')
      }
      const exit = await new Promise<number | null>((resolve) => broker.on('exit', (code) => resolve(code)))
      expect(exit).toBe(0)
    },
  )

  it('a busy port gives one line naming the flag (exit 2)', async () => {
    const busy = net.createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as net.AddressInfo).port
    try {
      const result = await runCli(['broker', '--port', String(port), '--ws-port', '0'])
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toBe(
        `error: port ${port} is already in use (is another broker running?)\n  what to do: stop it, or pick another port: npm run broker -- --port ${port + 1}\n`,
      )
    } finally {
      busy.close()
    }
  })
}, 60_000)
