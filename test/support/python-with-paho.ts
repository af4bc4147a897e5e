import { execFileSync } from 'node:child_process'

/**
 * A python3 that has paho-mqtt (Debian: python3-paho-mqtt), for the exercises graded in Python with --cmd:
 * MQTT_COURSE_PYTHON, else python3 on PATH, else /usr/bin/python3 (a pyenv python3 first on PATH lacks it).
 */
export function findPythonWithPaho(): string | undefined {
  const candidates = [process.env.MQTT_COURSE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c))
  return candidates.find((candidate) => {
    try {
      execFileSync(candidate, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
}
