import { parseArgs } from 'node:util'
import { startPlaygroundBroker } from '../broker/playground-broker.ts'
import { GraderError } from '../errors/grader-error.ts'

const usage = `Usage: npm run broker -- [--port 1883] [--ws-port 8080] [--quiet]

Starts an MQTT broker (aedes) on localhost with a live packet log:
  TCP         mqtt://localhost:<port>     (mosquitto_sub -h localhost -t '#' -v)
  WebSockets  ws://localhost:<ws-port>    (the course site's Playground)`

/** `npm run broker`: runs until Ctrl-C. */
export async function runBrokerCommand(args: readonly string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string' },
        'ws-port': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (error) {
    throw new GraderError('USAGE', (error as Error).message, { hint: 'run npm run broker -- --help' })
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const port = parsePort(values.port, 1883, '--port')
  const wsPort = parsePort(values['ws-port'], 8080, '--ws-port')
  const time = () => new Date().toISOString().slice(11, 23)
  const broker = await startPlaygroundBroker({
    port,
    wsPort,
    ...(values.quiet ? {} : { onLog: (line: string) => process.stdout.write(`${time()}  ${line}\n`) }),
  })
  process.stdout.write(
    `MQTT broker ready (aedes, MQTT 3.1.1):\n` +
      `  mqtt://localhost:${broker.port}   try: mosquitto_sub -h localhost -p ${broker.port} -t '#' -v\n` +
      `  ws://localhost:${broker.wsPort}     for the course site's Playground\n` +
      `Press Ctrl-C to stop.\n`,
  )
  await new Promise<void>((resolve) => {
    // `on`, not `once`: signal-exit (inside Testcontainers, which the start's sweep loads when a killed grader
    // left a container) re-raises a signal when it finds itself the only listener left, and Ctrl-C would kill
    // the broker instead of stopping it.
    process.on('SIGINT', () => resolve())
    process.on('SIGTERM', () => resolve())
  })
  await broker.close()
  process.stdout.write('broker stopped\n')
  return 0
}

function parsePort(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new GraderError('USAGE', `${flag} ${value} is not a port number`, {
      hint: `use a number from 1 to 65535, e.g. ${flag} ${fallback}`,
    })
  }
  return port
}
