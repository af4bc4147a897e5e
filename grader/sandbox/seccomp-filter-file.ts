import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { TemporaryFolder, enterableTemporaryDir } from '../process/temporary-folder.ts'
import { currentSeccompArch, seccompFilter } from './seccomp-filter.ts'

let filterFile: string | undefined | null

/** The seccomp filter, written once per process, in a folder of its own that goes when the grader does. */
export function seccompFilterFile(): string | undefined {
  if (filterFile !== undefined) return filterFile ?? undefined
  const arch = currentSeccompArch()
  if (!arch) {
    filterFile = null
    return undefined
  }
  const folder = new TemporaryFolder('mqtt-course-seccomp-', enterableTemporaryDir())
  filterFile = path.join(folder.path, 'filter.bpf')
  writeFileSync(filterFile, seccompFilter(arch), { mode: 0o644 })
  // Read by the loader as the workspace's uid (--sandbox uid): nothing secret in it.
  chmodSync(folder.path, 0o711)
  return filterFile
}
