import { existsSync } from 'node:fs'
import path from 'node:path'
import pLimit from 'p-limit'
import { BackendChooser, type BrokerChoice } from '../broker/choose-backend.ts'
import { GraderError } from '../errors/grader-error.ts'
import { chooseSandboxWhenProbed } from '../sandbox/sandbox.ts'
import { assignReportFolders, checkOutFolder, studentSeed } from './check-batch-paths.ts'
import { graderVersion } from './content-hash.ts'
import { courseVersion } from '../grade/course-version.ts'
import { type Exercise, listExerciseFolders, loadExercise } from '../exercises/load-exercises.ts'
import { onInterrupt } from '../process/exit-cleanup.ts'
import { type ExerciseResult, type GradeReport, reportSchemaVersion, summarizeExercises } from '../report/result.ts'
import { newSeed } from '../runner/random.ts'
import type { BatchManifest, StudentRecord } from './batch-manifest.ts'
import { BatchProgress } from './batch-progress.ts'
import { layoutExercise } from '../exercises/detect-layout.ts'
import { openSubmission } from '../exercises/open-submission.ts'
import { findSubmissions, selectShard } from './find-submissions.ts'
import { applyOverrides, readOverrides } from './overrides.ts'
import { readRoster } from './roster.ts'
import { type Commit, commitBefore, isGitRepository, latestCommit, snapshotCommit } from './git-snapshot.ts'
import { latePenalty, parseDue } from './late-policy.ts'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { chooseProgram, otherEntries } from './program-language.ts'
import { errorResult, type GradeJobOutcome, runGradeJob } from './grade-job.ts'
import type { BatchCommand } from './parse-batch-args.ts'
import { ResultCache } from './result-cache.ts'
import { WorkerPool } from './worker-pool.ts'
import { writeCohortOutputs, writeStudentOutputs } from './write-batch-outputs.ts'

export interface BatchSummary {
  manifest: BatchManifest
  students: StudentRecord[]
  /** Exercise results reused from --out because nothing changed. */
  reused: number
  graded: number
  /** Stored results that did not verify (written by someone else than this batch) and were graded again. */
  rejected: number
  wasInterrupted: boolean
}

/**
 * `npm run batch`: every submission × exercise of a cohort (or of one shard of it) graded by a pool of grading
 * processes (worker-pool.ts), each result stored as soon as it exists, each student's reports written as soon as the
 * student is done, the cohort's at the end, or at Ctrl-C with what finished.
 */
export async function runBatch(
  command: BatchCommand,
  stream: NodeJS.WriteStream = process.stdout,
): Promise<BatchSummary> {
  // Everything the instructor typed is checked before anything is graded (exit 2 with what to do).
  const { submissions: all, skipped } = findSubmissions(command.cohortDir)
  const cohortDir = path.resolve(command.cohortDir)
  const outDir = checkOutFolder(command.outDir, { cohortDir })
  const roster = command.rosterFile !== undefined ? readRoster(command.rosterFile) : undefined
  // A cohort's programs run next to the instructor's secrets and each other: isolation is required unless
  // --sandbox none says otherwise. The cohort and the reports are hidden from every program.
  const sandboxChoice = command.sandbox ?? 'auto'
  const hide = [cohortDir, outDir]
  const sandbox = await chooseSandboxWhenProbed(sandboxChoice, { hide })
  if (sandbox.kind === 'none' && sandboxChoice !== 'none') {
    throw new GraderError(
      'SANDBOX_UNAVAILABLE',
      `a cohort's programs must be isolated from each other and from you, and ${sandbox.note ?? 'there is no sandbox here'}`,
      {
        hint: 'install bubblewrap (sudo apt install bubblewrap) and allow it user namespaces, or run the batch as root (each grade then runs as a uid of its own); --sandbox none grades without isolation, on your own responsibility',
      },
    )
  }
  const wanted = command.exercises ? new Set(command.exercises) : undefined
  const exercises: Exercise[] = []
  for (const folder of listExerciseFolders().filter((f) => !wanted || wanted.has(f.id)))
    exercises.push(await loadExercise(folder))
  // Overrides are read (and checked) on every run, before grading: a regrade, --force included, applies them again.
  const overridesFile =
    command.overridesFile ??
    (existsSync(path.join(outDir, 'overrides.csv')) ? path.join(outDir, 'overrides.csv') : undefined)
  const overrides = overridesFile
    ? readOverrides(
        overridesFile,
        exercises,
        new Set([...all.map((submission) => submission.student), ...(roster ?? []).map((entry) => entry.folder)]),
      )
    : []
  const exclusive = sandbox.kind === 'uid' ? await exposingExercises(exercises, command.broker) : new Set<string>()
  // Folders are decided over the whole cohort, before sharding: every shard writes a student to the same one.
  const { folders, renamed } = assignReportFolders(all.map((submission) => submission.student))
  const submissions = selectShard(all, command.shard)
  const seed = command.seed ?? newSeed()
  const cache = new ResultCache(outDir)
  const progress = new BatchProgress({ stream, total: submissions.length })
  const shardNote = command.shard
    ? `, shard ${command.shard.index}/${command.shard.count} (${submissions.length} of ${all.length} students)`
    : ''
  progress.say(
    `Grading ${submissions.length} submission${submissions.length === 1 ? '' : 's'} × ${exercises.length} exercise${exercises.length === 1 ? '' : 's'}, ${command.jobs} process${command.jobs === 1 ? '' : 'es'} × ${command.perJob} at a time, on broker ${command.broker}, seed ${seed}${shardNote}`,
  )
  progress.say(
    `  (--seed ${seed} repeats these inputs; each student's own seed, in their result.json, repeats theirs with npm run grade -- --seed)`,
  )
  progress.say(`  isolation: ${sandbox.description}`)
  if (sandbox.note) progress.say(`  note: ${sandbox.note}`)
  for (const entry of skipped) progress.say(`  skipped: ${entry}`)
  for (const entry of renamed) progress.say(`  report folder renamed: ${entry}`)
  if (roster) {
    const folders = new Set(all.map((submission) => submission.student))
    const absent = roster.filter((entry) => !folders.has(entry.folder)).map((entry) => entry.folder)
    const unlisted = all
      .filter((submission) => !roster.some((entry) => entry.folder === submission.student))
      .map((submission) => submission.student)
    progress.say(
      `  roster: ${roster.length} students${absent.length ? `; no submission from ${absent.join(', ')}` : ''}${unlisted.length ? `; not in the roster: ${unlisted.join(', ')} (graded, flagged in the gradebook)` : ''}`,
    )
  }
  if (overridesFile)
    progress.say(`  overrides: ${overrides.length} from ${overridesFile}, applied on top of the grades`)

  let isInterrupted = false
  await using pool = new WorkerPool({ workers: command.jobs, perWorker: command.perJob })
  const limit = pLimit(command.jobs * command.perJob)
  let reused = 0
  let gradedCount = 0
  const due = command.due !== undefined ? parseDue(command.due) : undefined
  // What an exercise with no commit before the deadline is graded from: nothing.
  using emptyFolder = due ? new TemporaryFolder('mqtt-course-empty-') : undefined
  const records: StudentRecord[] = []

  /** One snapshot of a student's work (their folder, or a commit of it) graded: the record, its results, its outcomes. */
  const gradeTree = async (student: string, dir: string, labelPrefix: string) => {
    // The one layout detector grade and the Gradescope autograder use too; a zip with no exercise beside it is
    // unpacked (safely) and looked into. The unpacked copy goes once the student is graded.
    using opened = await openSubmission(
      dir,
      exercises.map((exercise) => ({
        ...layoutExercise(exercise),
        otherEntries: otherEntries(exercise.run.entry, command.languageCommands),
      })),
      { isBatch: true },
    )
    const { layout } = opened
    const found = new Map(layout.found.map((entry) => [entry.exerciseId, entry]))
    const layouts =
      [...new Set(layout.found.map((entry) => entry.layout))].join(', ') +
      (opened.zipName && layout.found.length > 0 ? ` in ${opened.zipName}` : '')
    const record: StudentRecord = {
      student,
      folder: folders.get(student)!,
      ...(layouts ? { layout: layouts } : {}),
      ...(layout.problem ? { problem: layout.problem } : {}),
    }
    const ownSeed = studentSeed(seed, student)
    let hasStarted = false
    const outcomes = await Promise.all(
      exercises.map(async (exercise): Promise<GradeJobOutcome> => {
        const submission = found.get(exercise.id)
        const label = submission
          ? path.join(student, labelPrefix, opened.zipName ?? '', path.relative(opened.dir, submission.dir))
          : student
        if (!submission) {
          const message =
            layout.problem ??
            layout.missing.find((entry) => entry.exerciseId === exercise.id)?.why ??
            `${exercise.id} not submitted`
          return {
            result: errorResult({ exercise, label }, ownSeed, 'NO_SUBMISSION', message),
            wasCached: false,
            wasInterrupted: false,
          }
        }
        return limit(async () => {
          if (isInterrupted)
            return {
              result: errorResult({ exercise, label }, ownSeed, 'INTERRUPTED', 'not graded: the batch was interrupted'),
              wasCached: false,
              wasInterrupted: true,
            }
          if (!hasStarted) progress.started(student)
          hasStarted = true
          const program = chooseProgram(submission.dir, exercise.run.entry, command.languageCommands)
          return runGradeJob(
            { student, exercise, submission, label, ...(program ? { program } : {}) },
            {
              seed: ownSeed,
              broker: command.broker,
              sandbox: sandboxChoice,
              isolation: sandbox.kind,
              hide,
              exclusive,
              pool,
              cache,
              isForced: command.isForced,
            },
          )
        })
      }),
    )
    const mine = overrides.filter((override) => override.student === student)
    return {
      record,
      outcomes,
      results: outcomes.map((outcome) => applyOverrides(outcome.result, mine)),
      ownSeed,
      hasProblem: Boolean(layout.problem),
    }
  }

  /**
   * With --due, a repository is graded at its last commit before the deadline (and, with --late, at its latest
   * commit too, with the penalty), from a copy of the commit's files: the student's folder is never changed.
   */
  const gradeStudent = async (student: string, dir: string): Promise<StudentRecord> => {
    let graded: Awaited<ReturnType<typeof gradeTree>>
    let gitInfo: GradeReport['git']
    const notes: string[] = []
    if (!due) graded = await gradeTree(student, dir, '')
    else if (!isGitRepository(dir)) {
      notes.push(
        `not a git repository: graded as it is. File times are not trusted, so --due ${command.due} could not tell on-time work from late work`,
      )
      graded = await gradeTree(student, dir, '')
    } else {
      const onTime = commitBefore(dir, due)
      const latest = latestCommit(dir)
      const isLate = latest !== undefined && Date.parse(latest.committedAt) > due.getTime()
      const gradeCommit = async (commit: Commit) => {
        const { folder, skipped: left } = snapshotCommit(dir, commit.id)
        try {
          if (left.length > 0) notes.push(`commit ${commit.id.slice(0, 12)}: left out ${left.join(', ')}`)
          return await gradeTree(student, folder.path, `@${commit.id.slice(0, 12)}`)
        } finally {
          folder.remove()
        }
      }
      const onTimeGrade = onTime ? await gradeCommit(onTime) : undefined
      const lateGrade = isLate && command.late && latest ? await gradeCommit(latest) : undefined
      const penalty =
        lateGrade && latest && command.late
          ? latePenalty(Date.parse(latest.committedAt) - due.getTime(), command.late)
          : undefined
      const onTimePoints = onTimeGrade ? onTimeGrade.results.reduce((sum, result) => sum + result.points, 0) : 0
      const lateGraded = lateGrade ? lateGrade.results.reduce((sum, result) => sum + result.points, 0) : 0
      const factor = penalty?.isAccepted ? 1 - penalty.percent / 100 : 0
      const latePoints = round(lateGraded * factor)
      const useLate = lateGrade !== undefined && latePoints > onTimePoints
      if (useLate)
        graded = {
          ...lateGrade,
          results: lateGrade.results.map((result) => ({
            ...result,
            points: round(result.points * factor),
            notes: [
              ...(result.notes ?? []),
              `late: committed ${latest!.committedAt}, ${penalty!.percent}% off (${command.late!.text}); graded ${result.points}`,
            ],
          })),
        }
      else if (onTimeGrade) graded = onTimeGrade
      else {
        // Nothing before the deadline, and no late work that counts: every exercise is not submitted, said why.
        const first = await gradeTree(student, emptyFolder!.path, '')
        const why = latest
          ? `no commit before the deadline ${command.due} (the first is ${latest.committedAt}${command.late ? (penalty && !penalty.isAccepted ? `, later than --late ${command.late.text} accepts` : '') : '; --late grades late work'})`
          : 'the repository has no commit'
        graded = {
          ...first,
          record: { ...first.record, problem: why },
          results: first.results.map((result) => ({
            ...result,
            error: { code: 'NO_SUBMISSION', message: `${result.id}: ${why}` },
          })),
        }
      }
      gitInfo = {
        due: due.toISOString(),
        ...(onTime ? { onTime: { commit: onTime.id, committedAt: onTime.committedAt, points: onTimePoints } } : {}),
        ...(lateGrade && latest && penalty
          ? {
              late: {
                commit: latest.id,
                committedAt: latest.committedAt,
                gradedPoints: lateGraded,
                penaltyPercent: penalty.percent,
                points: latePoints,
                isAccepted: penalty.isAccepted,
                policy: command.late!.text,
              },
            }
          : {}),
        counted: useLate ? 'late' : onTimeGrade ? 'on time' : 'none',
      }
      if (isLate && !command.late)
        notes.push(
          `commits after the deadline (the latest ${latest!.committedAt}) were not graded: --late grades them with a penalty`,
        )
    }
    const { record, outcomes, results, ownSeed, hasProblem } = graded
    if (outcomes.some((outcome) => outcome.wasInterrupted)) return record
    const report: GradeReport = {
      ...studentReport(results, ownSeed),
      ...(notes.length ? { notes } : {}),
      ...(gitInfo ? { git: gitInfo } : {}),
    }
    const studentReused = outcomes.filter((outcome) => outcome.wasCached).length
    reused += studentReused
    gradedCount += outcomes.filter((outcome) => !outcome.wasCached && !outcome.result.error).length
    const withReport = { ...record, report }
    writeStudentOutputs(outDir, withReport)
    progress.finished({
      student,
      points: report.points,
      maxPoints: report.maxPoints,
      errors:
        results.filter((result) => result.error && result.error.code !== 'NO_SUBMISSION').length + (hasProblem ? 1 : 0),
      reused: studentReused,
      graded: outcomes.length - studentReused,
    })
    return withReport
  }

  const manifestOf = (students: readonly StudentRecord[]): BatchManifest => ({
    schemaVersion: 1,
    seed,
    broker: command.broker,
    graderVersion: graderVersion(),
    isolation: sandbox.description,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(command.shard ? { shard: command.shard } : {}),
    exercises: exercises.map((exercise) => ({
      id: exercise.id,
      slug: exercise.slug,
      title: exercise.title,
      maxPoints: exercise.points,
    })),
    ...(roster ? { roster } : {}),
    ...(command.formats.length > 0 || command.hasBom
      ? { gradebook: { formats: command.formats, hasBom: command.hasBom } }
      : {}),
    students: students.map((record) => ({
      student: record.student,
      ...(record.folder ? { folder: record.folder } : {}),
      ...(record.layout ? { layout: record.layout } : {}),
      ...(record.problem ? { problem: record.problem } : {}),
      isGraded: record.report !== undefined,
    })),
  })

  const pending = submissions.map((submission, position) =>
    gradeStudent(submission.student, submission.dir).then((record) => {
      records[position] = record
    }),
  )
  // Ctrl-C or SIGTERM: start nothing more, let the running grades stop their programs, report what finished.
  const forgetInterrupt = onInterrupt(async () => {
    isInterrupted = true
    await Promise.allSettled(pending)
    progress.stop()
    const students = submissions.map(
      (submission, position) =>
        records[position] ?? { student: submission.student, folder: folders.get(submission.student)! },
    )
    writeCohortOutputs(outDir, manifestOf(students), students)
    stream.write(
      `Interrupted: ${students.filter((record) => record.report).length} of ${students.length} students graded; reports in ${command.outDir}. Run the same command again to grade the rest.\n`,
    )
  })
  await Promise.all(pending)
  forgetInterrupt()
  progress.stop()
  const manifest = manifestOf(records)
  for (const note of writeCohortOutputs(outDir, manifest, records)) stream.write(`note: ${note}\n`)
  return {
    manifest,
    students: records,
    reused,
    graded: gradedCount,
    rejected: cache.rejected,
    wasInterrupted: isInterrupted,
  }
}

/**
 * Under --sandbox uid the programs share the grader's loopback, and only the grader's own listeners admit by uid:
 * a container's ports, a broker elsewhere, and Mosquitto's WebSocket listeners (which cannot be a Unix socket)
 * are open to any program. The exercises that would use one are graded with no other grade running.
 */
async function exposingExercises(exercises: readonly Exercise[], broker: BrokerChoice): Promise<Set<string>> {
  const chooser = new BackendChooser(broker)
  const exposing = new Set<string>()
  for (const exercise of exercises) {
    const required = [...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)])]
    const kind = await chooser.choose(required, exercise.id).then(
      (backend) => backend.kind,
      () => 'unavailable',
    )
    if (kind === 'container' || kind === 'url' || required.includes('websockets')) exposing.add(exercise.id)
  }
  return exposing
}

function round(points: number): number {
  return Math.round(points * 100) / 100
}

/** One student's report, in the `--json` schema: their exercises in course order. */
function studentReport(results: ExerciseResult[], seed: number): GradeReport {
  return {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'mqtt-course', version: courseVersion() },
    ...summarizeExercises(results),
    seed,
    durationMs: results.reduce((sum, result) => sum + result.durationMs, 0),
    exercises: results,
  }
}
