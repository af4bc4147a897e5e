/**
 * The course's Python sensors through a broker restart. paho's wait_for_publish() raises RuntimeError while the
 * connection is down (publish() returns MQTT_ERR_NO_CONN), so a sensor that used it crashed when its broker was
 * restarted; the grader never restarts the broker, so only this test shows it. Lesson 6's sensor.py (taken from
 * the lesson itself) and ex6's Python solution must go on publishing, and stop cleanly, across a restart of a
 * real Mosquitto on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mqtt from 'mqtt'
import { afterEach, expect, it } from 'vitest'
import { findFreePort } from '../../grader/broker/free-port.ts'
import { findMosquittoBinary } from '../../grader/broker/find-mosquitto.ts'
import { OutputWaiter } from '../support/output-waiter.ts'
import { describeWithPython } from '../support/python-with-paho.ts'
import { courseRoot } from '../support/run-cli.ts'

const mosquitto = findMosquittoBinary()
const started: ChildProcess[] = []
const folders: string[] = []

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

function tempFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'python-restart-'))
  folders.push(folder)
  return folder
}

/** Mosquitto on `port`, started and waited for ("running" in its log); resolves once it accepts connections. */
async function startMosquitto(port: number): Promise<ChildProcess> {
  const folder = tempFolder()
  const conf = path.join(folder, 'mosquitto.conf')
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n`,
  )
  const child = spawn(mosquitto!, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  started.push(child)
  const log = new OutputWaiter()
  child.stderr!.setEncoding('utf8').on('data', (text: string) => log.push(text))
  await log.waitFor(/mosquitto version \S+ running/, 0, 10_000)
  return child
}

async function stopMosquitto(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Starts a Python program; its output is collected, its exit awaited by `exited`. */
function startPython(python: string, dir: string, env: Record<string, string>) {
  const child = spawn(python, ['main.py'], {
    cwd: dir,
    env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  const output = new OutputWaiter()
  child.stdout!.setEncoding('utf8').on('data', (text: string) => output.push(text))
  child.stderr!.setEncoding('utf8').on('data', (text: string) => output.push(text))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output, exited }
}

/** A dashboard that follows the readings' seq numbers, and reconnects (and resubscribes) after a restart. */
async function watchReadings(port: number, topic: string) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 100,
    clientId: `watch-${process.pid}`,
  })
  const seqs: number[] = []
  const statuses: string[] = []
  client.on('message', (received, payload) => {
    if (received.endsWith('/telemetry')) seqs.push(JSON.parse(payload.toString()).seq)
    else statuses.push(payload.toString())
  })
  await client.subscribeAsync(topic, { qos: 1 })
  return { client, seqs, statuses }
}

/** Whether paho is 2.x (CallbackAPIVersion); Debian's python3-paho-mqtt is 1.6. */
function pahoMajor(python: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', 'import paho.mqtt; print(paho.mqtt.__version__)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(text.trim().split('.')[0])) : reject(new Error(`${python} cannot import paho.mqtt`)),
    )
  })
}

/** Lesson 6's sensor.py, as printed in the lesson; with paho 1.x, adapted as the lesson's own note says. */
function lessonSensor(isPaho2: boolean): string {
  const lesson = readFileSync(path.join(courseRoot, 'lessons/06-telemetry-and-commands.mdx'), 'utf8')
  const code = /```python title="sensor\.py"\n([\s\S]*?)```/.exec(lesson)?.[1]
  if (!code) throw new Error('lesson 6 has no ```python title="sensor.py" block')
  if (isPaho2) return code
  const adapted = code
    .replace('mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device_id)', 'mqtt.Client(client_id=device_id)')
    .replace(
      'def on_connect(client, userdata, flags, reason_code, properties):',
      'def on_connect(client, userdata, flags, rc):',
    )
  expect(adapted, "the lesson's paho 1.x note no longer fits its sensor.py").not.toContain('CallbackAPIVersion')
  expect(adapted).toContain('def on_connect(client, userdata, flags, rc):')
  return adapted
}

describeWithPython('Python sensors across a broker restart', (python) => {
  it.skipIf(!mosquitto)(
    "lesson 6's sensor.py keeps publishing across a restart and stops cleanly on SIGTERM",
    async () => {
      const port = await findFreePort()
      let broker = await startMosquitto(port)
      const device = `sensor-${process.pid}`
      const watch = await watchReadings(port, `acme/plant-1/${device}/#`)
      try {
        const dir = tempFolder()
        writeFileSync(path.join(dir, 'main.py'), lessonSensor((await pahoMajor(python)) >= 2))
        const sensor = startPython(python, dir, {
          MQTT_URL: `mqtt://127.0.0.1:${port}`,
          DEVICE_ID: device,
          INTERVAL_MS: '200',
        })
        await sensor.output.waitFor(/sent #2:/, 0, 20_000)
        await stopMosquitto(broker)
        const mark = sensor.output.mark
        broker = await startMosquitto(port)
        // Readings go on after the restart: the program did not crash on the reading it was sending.
        await sensor.output.waitFor(/sent #\d+:/, mark, 30_000)
        const seenBefore = watch.seqs.length
        await new Promise<void>((resolve, reject) => {
          const deadline = setTimeout(
            () =>
              reject(
                new Error(
                  `no reading reached the dashboard after the restart (seqs: ${watch.seqs.join(', ')})\n${sensor.output.text}`,
                ),
              ),
            20_000,
          )
          const check = () => {
            if (watch.seqs.length <= seenBefore) return
            clearTimeout(deadline)
            resolve()
          }
          watch.client.on('message', check)
        })
        sensor.child.kill('SIGTERM')
        const code = await sensor.exited
        expect(code, sensor.output.text).toBe(0)
        expect(sensor.output.text).not.toContain('Traceback')
        expect(watch.statuses.at(-1), `statuses seen: ${watch.statuses.join(', ')}`).toBe('offline')
      } finally {
        await watch.client.endAsync(true)
        await stopMosquitto(broker)
      }
    },
  )

  it.skipIf(!mosquitto)("ex6's Python solution delivers every reading through a restart and exits 0", async () => {
    const port = await findFreePort()
    let broker = await startMosquitto(port)
    const device = `sensor-${process.pid}`
    const watch = await watchReadings(port, `acme/plant-1/${device}/telemetry`)
    try {
      const dir = path.join(courseRoot, 'exercises/ex6-sensor-telemetry/solution-python')
      const sensor = startPython(python, dir, {
        MQTT_URL: `mqtt://127.0.0.1:${port}`,
        DEVICE_ID: device,
        COUNT: '8',
        INTERVAL_MS: '300',
      })
      await sensor.output.waitFor(/reading 2:/, 0, 20_000)
      await stopMosquitto(broker)
      broker = await startMosquitto(port)
      const code = await sensor.exited
      expect(code, sensor.output.text).toBe(0)
      expect(sensor.output.text).not.toContain('Traceback')
      // Every reading was acknowledged by a broker (it prints a reading only after its PUBACK).
      for (let seq = 1; seq <= 8; seq++) expect(sensor.output.text).toContain(`reading ${seq}:`)
      expect(watch.seqs.at(-1), `seqs seen: ${watch.seqs.join(', ')}`).toBe(8)
    } finally {
      await watch.client.endAsync(true)
      await stopMosquitto(broker)
    }
  })
})
