import { findExecutable, isExecutable } from '../process/find-executable.ts'

/**
 * Where the `mosquitto` binary is. Package managers put it in an sbin directory that a normal user's PATH often
 * lacks (Debian: /usr/sbin, Homebrew: /opt/homebrew/sbin), so we look there too.
 * `MQTT_COURSE_MOSQUITTO_BIN` overrides the search.
 */
export function findMosquittoBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env.MQTT_COURSE_MOSQUITTO_BIN
  if (override) return isExecutable(override) ? override : undefined
  const wellKnown = [
    '/usr/sbin',
    '/usr/local/sbin',
    '/opt/homebrew/sbin',
    '/opt/homebrew/opt/mosquitto/sbin',
    '/usr/local/opt/mosquitto/sbin',
    '/snap/bin',
  ]
  return findExecutable(process.platform === 'win32' ? 'mosquitto.exe' : 'mosquitto', wellKnown, env.PATH ?? '')
}

export const installMosquittoHint =
  'install Mosquitto (Debian/Ubuntu: sudo apt install mosquitto; macOS: brew install mosquitto; Windows: https://mosquitto.org/download), ' +
  'or set MQTT_COURSE_MOSQUITTO_BIN to its path'
