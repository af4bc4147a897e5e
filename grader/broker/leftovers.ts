import { onInterrupt } from '../process/exit-cleanup.ts'
import { removeContainerMarkers, sweepTemporaryFolders } from '../process/leftover-sweep.ts'

/**
 * What graders killed with SIGKILL left behind (issue 19), removed when the next grader starts (and when a
 * batch's grading process is killed), in the background: their temporary folders, then their containers, only
 * when one of them left a container marker, so a grade that needs no Docker never connects to it. Nothing waits
 * for it but the grader's exit, as it waits for its own containers.
 */
export function sweepLeftovers(): void {
  const done = sweepTemporaryFolders()
    .then(async ({ containerMarkers }) => {
      if (containerMarkers.length === 0) return
      const { sweepOrphanedContainers } = await import('./orphaned-containers.ts')
      // Docker did not answer: the markers stay, for a start that finds it.
      if (await sweepOrphanedContainers()) removeContainerMarkers(containerMarkers)
    })
    .catch(() => {})
  const forget = onInterrupt(() => done)
  void done.finally(forget)
}
