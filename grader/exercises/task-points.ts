import type { Mutant } from './mutants.ts'

/**
 * The numbered points of a README's "## Your task": every sentence of the task a student is asked to do. Each
 * point names, in bold, the checks that verify it (`... (**connects**)`), and each check names the points it
 * covers (`covers: [1]` in exercise.ts): the two must agree, and the authoring test says where they do not.
 */
export interface TaskPoint {
  number: number
  /** The point's text, nested lines included, on one line. */
  text: string
  /** The ids in bold in the point's text (`**connects**`), in order: check ids, and perhaps other bold words. */
  named: string[]
}

/** The numbered points of "## Your task", each with its text up to the next point (nested lines included). */
export function readTaskPoints(readme: string): TaskPoint[] {
  const start = readme.indexOf('\n## Your task\n')
  const end = readme.indexOf('\n## ', start + 1)
  if (start < 0) return []
  const section = readme.slice(start, end < 0 ? undefined : end)
  const points: TaskPoint[] = []
  for (const line of section.split('\n')) {
    const opening = /^(\d+)\. (.*)$/.exec(line)
    if (opening) points.push({ number: Number(opening[1]), text: opening[2], named: [] })
    else if (points.length > 0 && /^\s+\S/.test(line)) points[points.length - 1].text += ` ${line.trim()}`
    else if (points.length > 0 && line.trim() !== '') break
  }
  for (const point of points) point.named = [...point.text.matchAll(/\*\*([a-z0-9-]+)\*\*/g)].map((match) => match[1])
  return points
}

/** What the map needs of a check. */
export interface CoveringCheck {
  id: string
  title: string
  points: number
  covers: readonly number[]
}

/** One row of the task-point map: a point of the task and the checks that verify it. */
export interface TaskPointRow {
  point: TaskPoint
  /** Checks of exercise.ts whose `covers` names the point. */
  checks: CoveringCheck[]
  /** Checks the grader runs before the checks (broker-config) that the README names for the point. */
  preChecks: string[]
}

/**
 * The map from task points to checks, and every disagreement between the README and exercise.ts: a point no
 * check covers, a check that covers no point (or one that does not exist), a README that names a check for a
 * point the check does not cover, or the other way round.
 */
export function mapTaskPoints(
  readme: string,
  checks: readonly CoveringCheck[],
  preCheckIds: readonly string[],
): { rows: TaskPointRow[]; problems: string[] } {
  const points = readTaskPoints(readme)
  const problems: string[] = []
  if (points.length === 0)
    problems.push('"## Your task" has no numbered points: number each thing the program must do (1., 2., ...)')
  const numbers = new Set(points.map((point) => point.number))
  const checkIds = new Set(checks.map((check) => check.id))
  const rows = points.map((point) => {
    const covering = checks.filter((check) => check.covers.includes(point.number))
    const preChecks = point.named.filter((id) => preCheckIds.includes(id))
    const named = point.named.filter((id) => checkIds.has(id))
    if (covering.length === 0 && preChecks.length === 0) {
      problems.push(
        `task point ${point.number} ("${point.text.slice(0, 70)}...") has no check: a check must name it in covers, and the point must name that check (**check-id**); or take the point out of the task`,
      )
    }
    for (const id of named) {
      if (!covering.some((check) => check.id === id))
        problems.push(
          `task point ${point.number} names **${id}**, but that check's covers does not include ${point.number}`,
        )
    }
    for (const check of covering) {
      if (!named.includes(check.id))
        problems.push(
          `check ${check.id} covers task point ${point.number}, but the point does not name it: add (**${check.id}**) to point ${point.number}`,
        )
    }
    return { point, checks: covering, preChecks }
  })
  for (const check of checks) {
    if (check.covers.length === 0)
      problems.push(
        `check ${check.id} covers no task point: say which point it verifies (covers: [n]), or add the point to the task`,
      )
    for (const number of check.covers) {
      if (!numbers.has(number))
        problems.push(`check ${check.id} covers task point ${number}, which "## Your task" does not have`)
    }
  }
  return { rows, problems }
}

/**
 * The task points a mutant breaks: those it names (`@fails check point 2: ...`), or else every point its check
 * covers, which must then be one point only, so that a mutant always says which sentence of the task it breaks.
 */
export function pointsBrokenBy(
  mutant: Pick<Mutant, 'fails' | 'points' | 'name'>,
  rows: readonly TaskPointRow[],
): { points: number[]; problem?: string } {
  const covered = rows
    .filter((row) => row.checks.some((check) => check.id === mutant.fails) || row.preChecks.includes(mutant.fails))
    .map((row) => row.point.number)
  if (mutant.points.length > 0) {
    const stray = mutant.points.filter((point) => !covered.includes(point))
    if (stray.length > 0)
      return {
        points: [],
        problem: `mutant ${mutant.name} names point ${stray.join(', ')}, which ${mutant.fails} does not cover (it covers ${covered.join(', ') || 'none'})`,
      }
    return { points: mutant.points }
  }
  if (covered.length > 1)
    return {
      points: [],
      problem: `mutant ${mutant.name} fails ${mutant.fails}, which covers points ${covered.join(', ')}: say which one it breaks, "@fails ${mutant.fails} point ${covered[0]}: ..."`,
    }
  return { points: covered }
}

/** The map as text, for the authoring test's output and for reviewers: point, then the checks and mutants. */
export function formatTaskPointMap(
  id: string,
  rows: readonly TaskPointRow[],
  mutantsByPoint: ReadonlyMap<number, readonly string[]>,
): string {
  const lines = [`${id}:`]
  for (const row of rows) {
    const checks = [...row.preChecks, ...row.checks.map((check) => check.id)].join(', ')
    const mutants = mutantsByPoint.get(row.point.number) ?? []
    lines.push(`  ${row.point.number}. ${row.point.text.replace(/\s*\(\*\*.*$/, '').slice(0, 90)}`)
    lines.push(
      `     checked by ${checks || 'NOTHING'}; broken by ${mutants.length} mutant${mutants.length === 1 ? '' : 's'}${mutants.length ? `: ${mutants.join(', ')}` : ''}`,
    )
  }
  return lines.join('\n')
}
