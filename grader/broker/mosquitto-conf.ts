import { writeFile, chmod } from 'node:fs/promises'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import path from 'node:path'
import { hashPasswordLine, renderPasswordFile } from './password-file.ts'
import type { MosquittoConfFiles, MosquittoConfOptions } from './mosquitto-conf-types.ts'
import { type ConfIssue, type StudentConfig, StudentConfigError } from './student-config.ts'
import { assignListenerPorts } from './student-listeners.ts'

export type { MosquittoConfFiles, MosquittoConfOptions } from './mosquitto-conf-types.ts'
export { type ConfIssue, type StudentConfig, StudentConfigError, type WebSocketListenerKind } from './student-config.ts'

/** The one place that writes Mosquitto configuration (the options are in mosquitto-conf-types.ts). */
export function renderMosquittoConf(options: MosquittoConfOptions): MosquittoConfFiles {
  const { setup, graderCredentials } = options
  const users = setup.users ?? []
  const hasUsers = users.length > 0
  const file = (name: string) => path.posix.join(options.brokerConfigDir, name)
  const lines = [
    '# Written by the mqtt-course grader for one run; deleted when the run ends.',
    'per_listener_settings false',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_timestamp false',
  ]
  if (options.isRoot) lines.push('user root')
  lines.push(listenerLine(options, options.port))
  lines.push(`allow_anonymous ${setup.allowAnonymous ?? !hasUsers}`)
  const files: MosquittoConfFiles = { 'mosquitto.conf': '' }
  if (hasUsers) {
    const allUsers = graderCredentials ? [...users, graderCredentials] : users
    files.passwd = renderPasswordFile(allUsers)
    lines.push(`password_file ${file('passwd')}`)
  }
  if (setup.acl !== undefined) {
    // The grader's block goes last: lines before the first `user` apply to anonymous clients, so appending a
    // user block never changes what the exercise's ACL means for anyone else.
    const graderBlock = graderCredentials
      ? `\n# the grader's own observer\nuser ${graderCredentials.username}\ntopic readwrite #\n`
      : ''
    files.acl = `${setup.acl.trimEnd()}\n${graderBlock}`
    lines.push(`acl_file ${file('acl')}`)
  }
  files['mosquitto.conf'] = `${lines.join('\n')}\n`
  return files
}

/** A `listener` line for `port`: the MQTT listener's own port may be a Unix socket instead (unixSocket). */
function listenerLine(options: Omit<MosquittoConfOptions, 'setup'>, port: number): string {
  if (options.unixSocket && port === options.port) return `listener 0 ${options.unixSocket}`
  return options.bindAddress ? `listener ${port} ${options.bindAddress}` : `listener ${port}`
}

/** A private temp directory holding the rendered files; removed by dispose. */
export interface ConfigDir extends AsyncDisposable {
  readonly path: string
}

/** Creates the directory, then writes the files `render` makes for it (it gets the directory's path). */
export async function writeConfigDir(render: (dir: string) => MosquittoConfFiles): Promise<ConfigDir> {
  const folder = new TemporaryFolder('mqtt-course-mosquitto-')
  try {
    const files = render(folder.path)
    for (const [name, content] of Object.entries(files)) {
      if (content === undefined) continue
      const target = path.join(folder.path, name)
      await writeFile(target, content)
      // Mosquitto 2.x warns about password and ACL files others can read.
      if (name !== 'mosquitto.conf') await chmod(target, 0o600)
    }
  } catch (error) {
    folder.remove()
    throw error
  }
  return folder
}

/** Options that would let a config escape the grader's sandbox or its view of the broker. */
const refused: Record<string, string> = {
  include_dir: 'include_dir loads files the grader has not seen: put everything in this one file',
  plugin: 'plugins run code inside the broker: this exercise is about the built-in password_file and acl_file',
  auth_plugin: 'plugins run code inside the broker: this exercise is about the built-in password_file and acl_file',
  global_plugin: 'plugins run code inside the broker: this exercise is about the built-in password_file and acl_file',
  connection: 'bridges connect to other brokers: the grader tests this broker alone',
  address: 'bridges connect to other brokers: the grader tests this broker alone',
}

/** Options the grader sets itself: the student's value is dropped (it would only change where logs and data go). */
const overridden = new Set([
  'log_dest',
  'log_type',
  'log_timestamp',
  'persistence',
  'persistence_file',
  'persistence_location',
  'pid_file',
  'user',
  'autosave_interval',
])

/** Options whose value is a file of the submission (or of the grader, for certificates). */
const fileOptions = new Set(['password_file', 'acl_file', 'cafile', 'certfile', 'keyfile', 'crlfile', 'dhparamfile'])

/**
 * Rewrites a student's mosquitto.conf so the grader can run it: its one listener moves to the grader's port on
 * loopback, file paths point into the run's config directory, logging and persistence are the grader's, and
 * the grader's own user joins the password file and the ACL. Refuses what it cannot run safely, with the line.
 */
export function renderStudentConf(
  student: StudentConfig,
  options: Omit<MosquittoConfOptions, 'setup'>,
): MosquittoConfFiles & Record<string, string> {
  const issues: ConfIssue[] = []
  // One output line per input line, so that Mosquitto's "Error found at mosquitto.conf:7" is the student's line 7.
  const out: string[] = []
  const files: Record<string, string> = { ...student.files }
  // With WebSocket listeners, each listener line moves to the port of its kind; otherwise there is one.
  const listenerPorts = student.webSockets ? assignListenerPorts(student, options, issues) : undefined
  let listeners = 0
  for (const [index, raw] of student.conf.split(/\r?\n/).entries()) {
    const line = index + 1
    const text = raw.trim()
    if (text === '' || text.startsWith('#')) {
      out.push(raw)
      continue
    }
    const [option, ...args] = text.split(/\s+/)
    if (refused[option] || option.startsWith('plugin_opt_') || option.startsWith('auth_opt_')) {
      issues.push({
        line,
        text,
        problem: refused[option] ?? 'plugin options need a plugin, which this exercise does not use',
      })
      continue
    }
    if (overridden.has(option)) {
      out.push(`#(set by the grader) ${text}`)
      continue
    }
    if (option === 'listener' || option === 'port') {
      listeners++
      if (listenerPorts) {
        const port = listenerPorts.get(line)
        if (port !== undefined) out.push(listenerLine(options, port))
        else out.push(`#(refused by the grader) ${text}`)
        continue
      }
      if (listeners > 1) {
        issues.push({
          line,
          text,
          problem: 'a second listener: the grader tests one, so keep a single listener in this file',
        })
        continue
      }
      if (args[0] === undefined || !/^\d+$/.test(args[0])) {
        issues.push({ line, text, problem: `"${option}" needs a port number, like "listener 1883"` })
        continue
      }
      out.push(listenerLine(options, options.port))
      continue
    }
    if (fileOptions.has(option)) {
      const name = path.posix.basename((args[0] ?? '').replace(/\\/g, '/'))
      if (!name || files[name] === undefined) {
        const known = Object.keys(files).sort().join(', ') || 'none'
        issues.push({
          line,
          text,
          problem: `${option} names "${args[0] ?? ''}", but there is no file called "${name}" here (files: ${known})`,
        })
        continue
      }
      out.push(`${option} ${path.posix.join(options.brokerConfigDir, name)}`)
      continue
    }
    out.push(raw)
  }
  if (listeners === 0 && !listenerPorts)
    issues.push({
      line: 0,
      text: '',
      problem:
        'no listener: add one, like "listener 1883" (Mosquitto 2 only accepts remote clients on a listener you declare)',
    })
  if (issues.length > 0) {
    throw new StudentConfigError(
      `Mosquitto cannot run your mosquitto.conf as it is: ${issues.length} line${issues.length === 1 ? '' : 's'} to fix`,
      issues,
    )
  }
  const tail = [
    '',
    '# added by the mqtt-course grader for this run',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_timestamp false',
    'persistence false',
  ]
  if (options.isRoot) tail.push('user root')
  const credentials = options.graderCredentials
  const passwordOption = /^\s*password_file\s+\S+/m.exec(out.join('\n'))
  const aclOption = /^\s*acl_file\s+(\S+)/m.exec(out.join('\n'))
  if (credentials && passwordOption) {
    const name = path.posix.basename(/^\s*password_file\s+(\S+)/m.exec(out.join('\n'))![1])
    files[name] = `${files[name].trimEnd()}\n${hashPasswordLine(credentials)}\n`
  }
  if (credentials && aclOption) {
    const name = path.posix.basename(aclOption[1])
    files[name] =
      `${files[name].trimEnd()}\n\n# the grader's own observer\nuser ${credentials.username}\ntopic readwrite #\n`
  }
  return { ...files, 'mosquitto.conf': `${[...out, ...tail].join('\n')}\n` }
}
