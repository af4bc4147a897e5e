import { onInterrupt } from '../process/exit-cleanup.ts'
import { removeContainerMarkers, sweepTemporaryFolders } from '../process/leftover-sweep.ts'

/**
 * What graders killed with SIGKILL left behind (issue 19), removed when the next grader starts (and when a
 * batch's grading process is killed): their temporary folders at once (one readdir, nothing to wait for), their
 * containers in the background, and only when one of them left a container marker, so a grade that needs no
 * Docker never connects to it. The grader's exit waits for that, as it does for its own containers.
 */
export function sweepLeftovers(): void {
  const { containerMarkers } = sweepTemporaryFolders()
  if (containerMarkers.length === 0) return
  const done = import('./orphaned-containers.ts')
    .then(({ sweepOrphanedContainers }) => sweepOrphanedContainers())
    // Docker did not answer: the markers stay, for a start that finds it.
    .then((isSwept) => {
      if (isSwept) removeContainerMarkers(containerMarkers)
    })
    .catch(() => {})
  const forget = onInterrupt(() => done)
  void done.finally(forget)
}
