import os from 'node:os'
import { removeContainerMarkers, sweepTemporaryFolders } from '../process/leftover-sweep.ts'
import { enterableTemporaryDir } from '../process/temporary-folder.ts'
import { sweepOrphanedGradeUids } from '../sandbox/grade-uid.ts'

/**
 * What graders killed with SIGKILL left behind (issue 19), removed when the next grader starts (and when a
 * batch's grading process is killed), in the background: their temporary folders, then their containers, only
 * when one of them left a container marker, so a grade that needs no Docker never connects to it. Resolves when
 * done (never rejects): the command's end waits for it, as for its own containers. An interrupt does not: it is
 * only a head start on the next start's sweep, and it changes nothing in how a command answers signals.
 */
export async function sweepLeftovers(): Promise<void> {
  try {
    // Where a root grader's programs must reach (--sandbox uid), folders may be in /tmp instead of a private TMPDIR.
    const folders = [...new Set([os.tmpdir(), enterableTemporaryDir()])]
    await sweepOrphanedGradeUids()
    const containerMarkers = (await Promise.all(folders.map((folder) => sweepTemporaryFolders(folder)))).flatMap(
      (sweep) => sweep.containerMarkers,
    )
    if (containerMarkers.length === 0) return
    const { sweepOrphanedContainers } = await import('./orphaned-containers.ts')
    // Docker did not answer: the markers stay, for a start that finds it.
    if (await sweepOrphanedContainers()) removeContainerMarkers(containerMarkers)
  } catch {
    // Best effort: the next start sweeps again.
  }
}
