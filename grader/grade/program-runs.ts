import type { ExerciseSession } from '../checks/exercise-session.ts'
import type { ProgramRunResult } from '../report/result.ts'
import { describeExit } from '../runner/student-program.ts'

/** What each run of the program printed, collected after the run ends so nothing is cut short. */
export async function collectProgramRuns(session: ExerciseSession): Promise<ProgramRunResult[]> {
  return Promise.all(
    session.programs.map(async (program) => {
      const wasRunning = program.isRunning
      const exit = await program.kill()
      return {
        run: program.run,
        command: program.display,
        ...(wasRunning ? {} : { exit: describeExit(exit) }),
        stdoutTail: program.stdout.tail(30),
        stderrTail: program.stderr.tail(30),
      }
    }),
  )
}
