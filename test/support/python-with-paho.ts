import { execFileSync } from 'node:child_process'
import { describe, it } from 'vitest'
import { isEveryBrokerRequired } from './brokers.ts'

/**
 * A python3 that has paho-mqtt (Debian: python3-paho-mqtt), for the exercises graded in Python with --cmd:
 * MQTT_COURSE_PYTHON, else python3 on PATH, else /usr/bin/python3 (a pyenv python3 first on PATH lacks it).
 */
export function findPythonWithPaho(): string | undefined {
  const candidates = [process.env.MQTT_COURSE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string =>
    Boolean(c),
  )
  return candidates.find((candidate) => {
    try {
      execFileSync(candidate, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
}

/**
 * `describe(title, ...)` for tests that grade a Python program: skipped, and said so, without a python3 that has
 * paho-mqtt; a failing test instead where every broker is required (CI), which installs it.
 */
export function describeWithPython(title: string, body: (python: string) => void): void {
  const python = findPythonWithPaho()
  if (!python && isEveryBrokerRequired) {
    it('has a python3 with paho-mqtt (required in CI)', () => {
      throw new Error('no python3 with paho-mqtt: apt-get install python3-paho-mqtt, or set MQTT_COURSE_PYTHON')
    })
  }
  describe.skipIf(!python)(
    `${title}${python ? '' : ' (skipped: no python3 with paho-mqtt; apt install python3-paho-mqtt)'}`,
    () => body(python!),
  )
}
