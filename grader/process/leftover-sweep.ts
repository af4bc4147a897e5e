import { lstatSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isOwnerGone } from './process-owner.ts'
import { removeTree } from './remove-tree.ts'
import { parseTemporaryFolderName } from './temporary-folder.ts'

/** What a container marker folder is called: `mqtt-course-container-<owner>-xxxxxx` (see container-broker.ts). */
export const containerMarkerPrefix = 'mqtt-course-container-'

export interface FolderSweep {
  /** The folders removed: a dead run's workspaces, Mosquitto configs, TLS keys. */
  removed: string[]
  /**
   * Markers a dead run left beside a container it was creating or running: kept until its containers are gone
   * (the caller removes them once it has swept Docker, see removeContainerMarkers).
   */
  containerMarkers: string[]
}

/**
 * Removes the temporary folders of grader processes that are gone (killed with `kill -9`, by the OOM killer, a
 * closed laptop lid: no exit handler ran). Only folders named as TemporaryFolder names them, directly in the
 * temporary folder, never a link, and only where the owner is known to be gone; as a user other than root,
 * only our own. One readdir (0.2 ms for a usual /tmp, 15 ms for 20,000 entries), read off the main thread.
 */
export async function sweepTemporaryFolders(dir: string = os.tmpdir()): Promise<FolderSweep> {
  const sweep: FolderSweep = { removed: [], containerMarkers: [] }
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return sweep
  }
  const uid = process.getuid?.()
  for (const name of names) {
    const parsed = parseTemporaryFolderName(name)
    if (!parsed || !isOwnerGone(parsed.owner)) continue
    const folder = path.join(dir, name)
    try {
      const stat = lstatSync(folder)
      if (!stat.isDirectory() || (uid !== 0 && stat.uid !== uid)) continue
      if (name.startsWith(containerMarkerPrefix)) {
        sweep.containerMarkers.push(folder)
        continue
      }
      removeTree(folder)
      sweep.removed.push(folder)
    } catch {
      // Gone meanwhile (another grader swept it), or not ours to remove.
    }
  }
  return sweep
}

/** Once the containers of their dead owners are removed. */
export function removeContainerMarkers(markers: readonly string[]): void {
  for (const marker of markers) {
    try {
      removeTree(marker)
    } catch {
      // Another grader swept it.
    }
  }
}
