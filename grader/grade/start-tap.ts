import type { Exercise } from '../exercises/load-exercises.ts'
import { probeParentDeath } from '../process/dies-with-parent.ts'
import { type StudentProgram, startStudentProgram } from '../runner/student-program.ts'
import { WireTap } from '../wiretap/wire-tap.ts'
import type { PreparedRun } from './prepare-run.ts'

/**
 * The tap holds connections until the broker is up and the observer is ready: the program can start now and
 * spend its own start-up time (Node, mqtt.js) while the broker starts. On a TLS listener it ends TLS on both
 * sides with the broker's own certificate, so the MQTT inside is read like any other.
 */
export async function startTap(
  prepared: PreparedRun,
  exercise: Exercise,
  teardown: AsyncDisposableStack,
): Promise<{ tap: WireTap; early: StudentProgram | undefined }> {
  const { setup, tlsMaterial, launch } = prepared
  const tapTls = setup.tlsCa && tlsMaterial ? { ...tlsMaterial.server, upstreamCa: setup.tlsCa } : undefined
  // A config with WebSocket listeners (ex11): the tap speaks ws:// (and wss:// with the broker's certificate) to the program.
  const webSocket = setup.studentConfig?.webSockets
    ? {
        path: '/mqtt',
        ...(tlsMaterial && setup.webSocketCa ? { tls: { ...tlsMaterial.server, upstreamCa: setup.webSocketCa } } : {}),
      }
    : undefined
  const tap = teardown.use(
    await WireTap.start({
      ...(tapTls ? { tls: tapTls } : { shouldDecode: !setup.tlsCa }),
      scheme: setup.tlsCa ? 'mqtts' : 'mqtt',
      ...(webSocket ? { webSocket } : {}),
    }),
  )
  // The parent-death probe started with the command has answered by now; awaiting it lets the event loop
  // take the answer, so that starting the program does not ask again, synchronously.
  await probeParentDeath()
  const early =
    exercise.run.startsEarly && launch.command
      ? teardown.use(startStudentProgram({ ...launch, tap }, {}, 1))
      : undefined
  // If no broker can run this exercise here, the early program is stopped on the way out; the tap held it.
  return { tap, early }
}
