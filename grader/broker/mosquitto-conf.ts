import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { BrokerSetup, Credentials } from './broker.ts'
import { renderPasswordFile } from './password-file.ts'

/**
 * The one place that writes Mosquitto configuration. Both the local binary and the container read a config
 * directory written here; only the paths the broker sees differ (`brokerConfigDir`).
 */
export interface MosquittoConfOptions {
  /** The port Mosquitto listens on, as the broker sees it. */
  port: number
  /** `127.0.0.1` for the local binary and host networking; undefined (every interface) inside a bridged container. */
  bindAddress: string | undefined
  /** Where the config directory is mounted for the broker (the same as the host path for the local binary). */
  brokerConfigDir: string
  setup: BrokerSetup
  /** The grader's own user, added to the password file and the ACL when the setup has users. */
  graderCredentials: Credentials | undefined
  /**
   * Mosquitto started as root drops privileges to the `mosquitto` user, which cannot read a private temp dir:
   * running as root (CI, containers) we ask it to stay who it is.
   */
  isRoot: boolean
}

export interface MosquittoConfFiles {
  'mosquitto.conf': string
  passwd?: string
  acl?: string
}

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
  lines.push(options.bindAddress ? `listener ${options.port} ${options.bindAddress}` : `listener ${options.port}`)
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
    const graderBlock = graderCredentials ? `\n# the grader's own observer\nuser ${graderCredentials.username}\ntopic readwrite #\n` : ''
    files.acl = `${setup.acl.trimEnd()}\n${graderBlock}`
    lines.push(`acl_file ${file('acl')}`)
  }
  files['mosquitto.conf'] = lines.join('\n') + '\n'
  return files
}

/** A private temp directory holding the rendered files; removed by dispose. */
export interface ConfigDir extends AsyncDisposable {
  readonly path: string
}

/** Creates the directory, then writes the files `render` makes for it (it gets the directory's path). */
export async function writeConfigDir(render: (dir: string) => MosquittoConfFiles): Promise<ConfigDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mqtt-course-mosquitto-'))
  const files = render(dir)
  for (const [name, content] of Object.entries(files)) {
    if (content === undefined) continue
    const target = path.join(dir, name)
    await writeFile(target, content)
    // Mosquitto 2.x warns about password and ACL files others can read.
    if (name !== 'mosquitto.conf') await chmod(target, 0o600)
  }
  return {
    path: dir,
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true })
    },
  }
}
