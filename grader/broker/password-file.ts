import { pbkdf2Sync, randomBytes } from 'node:crypto'
import type { Credentials } from './broker.ts'

/**
 * One line of a Mosquitto password_file, in the format `mosquitto_passwd` writes since 2.0:
 * `user:$7$<iterations>$<base64 12-byte salt>$<base64 64-byte PBKDF2-HMAC-SHA512>`.
 * Writing it ourselves means grading never needs `mosquitto_passwd` on the machine.
 */
export function hashPasswordLine(user: Credentials, iterations = 101, salt: Buffer = randomBytes(12)): string {
  if (user.username.includes(':'))
    throw new Error(`a Mosquitto username cannot contain ':' (got ${JSON.stringify(user.username)})`)
  const hash = pbkdf2Sync(user.password, salt, iterations, 64, 'sha512')
  return `${user.username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export function renderPasswordFile(users: readonly Credentials[]): string {
  return `${users.map((user) => hashPasswordLine(user)).join('\n')}\n`
}

/** Whether `password` matches a `$7$` line, as Mosquitto would decide. */
export function verifyPasswordLine(line: string, username: string, password: string): boolean {
  const match = /^([^:]+):\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(line.trim())
  if (!match || match[1] !== username) return false
  const hash = pbkdf2Sync(password, Buffer.from(match[3], 'base64'), Number(match[2]), 64, 'sha512')
  return hash.equals(Buffer.from(match[4], 'base64'))
}
