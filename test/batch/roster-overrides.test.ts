import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

/**
 * Issue 22, points 2 and 3: a roster orders the gradebook, lists who sent nothing, flags folders it does not
 * name; Canvas and Moodle gradebooks in their import columns; a BOM for Excel; overrides applied on top of every
 * grade, --force included, shown with their reason.
 */
describe('batch --roster, --format canvas/moodle, --bom and overrides', () => {
  const root = tempDir('roster')
  const cohort = path.join(root, 'cohort')
  copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'bob', 'ex1'))
  writeEchoesOnlyFirst(path.join(cohort, 'alice', 'ex1'))
  copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'stray', 'ex1'))
  const roster = path.join(root, 'roster.csv')
  writeFileSync(
    roster,
    'Folder,Name,Email,SIS_User_ID,Canvas_ID,Section,ID_Number\nbob,Bob Núñez,bob@example.edu,S002,1002,A,N2\nalice,"Ávila, Alice",alice@example.edu,S001,1001,A,N1\nmo,Mo Salah,mo@example.edu,S003,1003,B,N3\n',
  )
  const overrides = path.join(root, 'overrides.csv')
  writeFileSync(
    overrides,
    'student,exercise,check,points,reason,by\nalice,ex1,echoes,1,"regraded by hand: the broker dropped her second message",dana\nmo,ex1,total,2,"sent by email after the deadline, graded by hand",dana\n',
  )
  const out = path.join(root, 'out')
  const batch = (...args: string[]) =>
    runCli(
      [
        'batch',
        cohort,
        '--out',
        out,
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--seed',
        '2201',
        '--roster',
        roster,
        '--overrides',
        overrides,
        '--format',
        'canvas,moodle',
        '--bom',
        ...args,
      ],
      { timeoutMs: 240_000 },
    )
  const rows = (file: string) =>
    parse(readFileSync(path.join(out, file), 'utf8'), { bom: true, columns: true }) as Record<string, string>[]

  it('orders by the roster, lists the missing student, flags the stray folder, and applies the overrides', async () => {
    const result = await batch()
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('roster: 3 students; no submission from mo; not in the roster: stray')
    expect(result.stdout).toContain(`overrides: 2 from ${overrides}`)
    const raw = readFileSync(path.join(out, 'gradebook.csv'))
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const gradebook = rows('gradebook.csv')
    expect(gradebook.map((row) => row.student)).toEqual(['bob', 'alice', 'mo', 'stray'])
    expect(gradebook[0]).toMatchObject({ name: 'Bob Núñez', ex1: '5', total: '5', errors: '', overridden: '' })
    // alice's echoes failed (3/5; settles is skipped after it); the override gives the point: 4.
    expect(gradebook[1]).toMatchObject({
      name: 'Ávila, Alice',
      ex1: '4',
      total: '4',
      overridden: 'ex1 echoes: 1 (graded 0): regraded by hand: the broker dropped her second message (dana)',
    })
    expect(gradebook[2]).toMatchObject({
      name: 'Mo Salah',
      ex1: '0',
      total: '0',
      errors: 'not submitted: no folder of this name in the cohort',
    })
    expect(gradebook[3]).toMatchObject({
      name: '',
      ex1: '5',
      errors: 'not in the roster (check the folder name against roster.csv)',
    })
    const aliceResult = JSON.parse(readFileSync(path.join(out, 'alice', 'result.json'), 'utf8'))
    expect(aliceResult.points).toBe(4)
    expect(aliceResult.exercises[0].checks.find((check: { id: string }) => check.id === 'echoes')).toMatchObject({
      status: 'failed',
      points: 1,
      override: { gradedPoints: 0, reason: 'regraded by hand: the broker dropped her second message', by: 'dana' },
    })

    // Canvas: its export's columns, the Points Possible row, the roster's ids; the stray folder has none: left out.
    const canvas = readFileSync(path.join(out, 'gradebook-canvas.csv'), 'utf8')
    expect(canvas.split('\n')[0]).toBe('Student,ID,SIS User ID,SIS Login ID,Section,"ex1 Hello, broker"')
    expect(canvas.split('\n')[1]).toBe('Points Possible,,,,,5')
    expect(
      rows('gradebook-canvas.csv')
        .slice(1)
        .map((row) => [row.Student, row.ID, row['SIS User ID'], row.Section, row['ex1 Hello, broker']]),
    ).toEqual([
      ['Bob Núñez', '1002', 'S002', 'A', '5'],
      ['Ávila, Alice', '1001', 'S001', 'A', '4'],
      ['Mo Salah', '1003', 'S003', 'B', '0'],
    ])
    expect(result.stdout).toContain(
      'gradebook-canvas.csv leaves out 1 student with no canvas_id, sis_user_id or sis_login_id in the roster: stray',
    )
    // Moodle: the columns its own export names, mapped on its import page (ID number → useridnumber).
    expect(
      rows('gradebook-moodle.csv').map((row) => [
        row['ID number'],
        row['Email address'],
        row['Full name'],
        row['ex1 Hello, broker'],
      ]),
    ).toEqual([
      ['N2', 'bob@example.edu', 'Bob Núñez', '5'],
      ['N1', 'alice@example.edu', 'Ávila, Alice', '4'],
      ['N3', 'mo@example.edu', 'Mo Salah', '0'],
    ])
    const report = readFileSync(path.join(out, 'index.html'), 'utf8')
    expect(report).toContain('overridden')
    expect(report).toContain('regraded by hand: the broker dropped her second message')
  })

  it('keeps the overrides through a --force regrade', async () => {
    const result = await batch('--force')
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toMatch(/3 exercises graded\./)
    const gradebook = rows('gradebook.csv')
    expect(gradebook[1]).toMatchObject({
      student: 'alice',
      ex1: '4',
      overridden: expect.stringContaining('regraded by hand'),
    })
    const aliceResult = JSON.parse(readFileSync(path.join(out, 'alice', 'result.json'), 'utf8'))
    expect(
      aliceResult.exercises[0].checks.find((check: { id: string }) => check.id === 'echoes').override.gradedPoints,
    ).toBe(0)
  })
})

describe('batch: a bad roster or overrides file is exit 2, before anything is graded', () => {
  const root = tempDir('roster-bad')
  const cohort = path.join(root, 'cohort')
  copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'bob', 'ex1'))
  const file = (name: string, text: string) => {
    writeFileSync(path.join(root, name), text)
    return path.join(root, name)
  }
  it.each([
    [
      '--roster',
      'folder,name,github_team\nbob,Bob,red\n',
      'unknown column "github_team"; the known columns are folder, name, email, id_number, username, canvas_id, sis_user_id, sis_login_id, section',
    ],
    ['--roster', 'name,email\nBob,bob@example.edu\n', 'has no "folder" column'],
    ['--roster', 'folder\nbob\nbob\n', 'line 3: folder "bob" is already on line 2'],
    [
      '--overrides',
      'student,exercise,check,points,reason,by\nbob,ex1,echoes,7,"too generous",dana\n',
      'line 2: points "7" is not a score for ex1 echoes: expected a number from 0 to 1',
    ],
    ['--overrides', 'student,exercise,check,points,reason,by\nbob,ex1,echo,1,typo,dana\n', 'ex1 has no check "echo"'],
    ['--overrides', 'student,exercise,check,points,reason,by\nbob,ex1,total,3,,dana\n', 'the reason is empty'],
    [
      '--overrides',
      'student,exercise,check,points,reason,by\nbobby,ex1,total,3,why,dana\n',
      'there is no student "bobby"',
    ],
    [
      '--overrides',
      'student,exercise,check,points,reason,by\nbob,ex1,total,3,"unterminated,dana\n',
      'is not a valid CSV file',
    ],
  ])('%s %j', async (flag, text, message) => {
    const out = path.join(root, `out-${Math.random().toString(36).slice(2)}`)
    const result = await runCli([
      'batch',
      cohort,
      '--out',
      out,
      '--exercises',
      'ex1',
      '--broker',
      'embedded',
      flag,
      file('input.csv', text),
    ])
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stdout).not.toContain('Grading')
    expect(existsSync(path.join(out, 'gradebook.csv'))).toBe(false)
  })

  it('--format names only the formats there are', async () => {
    const result = await runCli(['batch', cohort, '--format', 'blackboard'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('"blackboard" is not a gradebook format; expected csv, canvas, moodle')
  })
})
