import { spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ownerOnThisHost, ownerLabels } from '../../grader/broker/orphaned-containers.ts'
import { sweepTemporaryFolders } from '../../grader/process/leftover-sweep.ts'
import {
  type ProcessOwner,
  isOwnerGone,
  ownerFromTag,
  ownerTag,
  parseLstart,
  thisProcess,
} from '../../grader/process/process-owner.ts'
import { removeTree } from '../../grader/process/remove-tree.ts'
import { TemporaryFolder, parseTemporaryFolderName } from '../../grader/process/temporary-folder.ts'

const isRoot = process.getuid?.() === 0
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mqtt-course-${name}-test-`))
  folders.push(dir)
  return dir
}

/** A process that has started and ended: its pid is free (and not soon reused: the kernel hands pids out in turn). */
async function deadOwner(): Promise<ProcessOwner> {
  const child = spawn('true')
  await new Promise((resolve) => child.once('exit', resolve))
  return { pid: child.pid!, startTime: 12345, pidNamespace: thisProcess().pidNamespace }
}

/** A folder that a student's program could have left: a link out of it, a closed folder of another uid. */
function fillHostile(folder: string, outside: string): void {
  mkdirSync(path.join(folder, 'copy/deep'), { recursive: true })
  writeFileSync(path.join(folder, 'copy/deep/server.key'), 'secret')
  symlinkSync(outside, path.join(folder, 'copy/node_modules'))
  symlinkSync(path.join(outside, 'precious.txt'), path.join(folder, 'copy/deep/link.txt'))
  if (isRoot) {
    chownSync(path.join(folder, 'copy/deep/server.key'), 65534, 65534)
    chownSync(path.join(folder, 'copy/deep'), 65534, 65534)
  }
  chmodSync(path.join(folder, 'copy/deep'), 0o000)
}

function outsideFolder(): string {
  const outside = tempDir('outside')
  writeFileSync(path.join(outside, 'precious.txt'), 'keep me')
  return outside
}

describe('the owner of a leftover', () => {
  it('is this process while it runs; a pid that is free, or taken by a later process, is gone', async () => {
    expect(isOwnerGone(thisProcess())).toBe(false)
    expect(ownerFromTag(ownerTag(thisProcess()))).toEqual(thisProcess())
    const dead = await deadOwner()
    expect(isOwnerGone(dead)).toBe(true)
    // Our pid, but not our start: a process before us that had the same pid.
    expect(isOwnerGone({ ...thisProcess(), startTime: thisProcess().startTime - 1 })).toBe(true)
    // The parent runs, and started at another time than the one named.
    expect(isOwnerGone({ ...thisProcess(), pid: process.ppid })).toBe(true)
  })

  it('in another pid namespace, or on another host, is never judged', async () => {
    const dead = await deadOwner()
    expect(isOwnerGone({ ...dead, pidNamespace: '1' })).toBe(false)
    const labels = { 'org.mqtt-course': 'broker', ...ownerLabels() }
    expect(ownerOnThisHost(labels)).toEqual(thisProcess())
    expect(ownerOnThisHost({ ...labels, 'org.mqtt-course.owner.host': 'another-machine' })).toBeUndefined()
    // Containers of other tools, or of graders from before owners were labelled, are not ours to judge.
    expect(ownerOnThisHost({ 'org.mqtt-course': 'broker', 'org.mqtt-course.run': '4242-x' })).toBeUndefined()
    expect(ownerOnThisHost({ ...labels, 'org.mqtt-course': 'something-else' })).toBeUndefined()
  })

  it('reads `ps -o lstart` (macOS) as seconds since 1970', () => {
    expect(parseLstart('Tue Jun  3 10:11:12 2025\n')).toBe(Date.UTC(2025, 5, 3, 10, 11, 12) / 1000)
    expect(parseLstart('')).toBeUndefined()
  })

  it('is in the name of every temporary folder', () => {
    using folder = new TemporaryFolder('mqtt-course-run-')
    expect(parseTemporaryFolderName(path.basename(folder.path))).toEqual({ purpose: 'run', owner: thisProcess() })
    expect(parseTemporaryFolderName('mqtt-course-run-a1B2c3')).toBeUndefined()
  })
})

describe('removeTree', () => {
  it('removes everything, closed folders and other uids too, and never follows a link out', () => {
    const outside = outsideFolder()
    const folder = tempDir('remove')
    fillHostile(folder, outside)
    removeTree(folder)
    expect(existsSync(folder)).toBe(false)
    expect(readFileSync(path.join(outside, 'precious.txt'), 'utf8')).toBe('keep me')
  })

  it('given a link, removes the link only', () => {
    const outside = outsideFolder()
    const link = path.join(tempDir('remove-link'), 'link')
    symlinkSync(outside, link)
    removeTree(link)
    expect(existsSync(link)).toBe(false)
    expect(readdirSync(outside)).toEqual(['precious.txt'])
  })
})

describe('sweepTemporaryFolders', () => {
  it("removes the folders of graders that are gone, and nothing else: live owners', other names, links, other namespaces", async () => {
    const tmp = tempDir('sweep')
    const outside = outsideFolder()
    const dead = ownerTag(await deadOwner())
    const deadRun = path.join(tmp, `mqtt-course-run-${dead}-a1B2c3`)
    mkdirSync(deadRun)
    fillHostile(deadRun, outside)
    const deadTls = path.join(tmp, `mqtt-course-tls-${dead}-d4E5f6`)
    mkdirSync(deadTls)
    writeFileSync(path.join(deadTls, 'server.key'), 'secret')
    const kept = [
      `mqtt-course-run-${ownerTag(thisProcess())}-a1B2c3`,
      'mqtt-course-run-a1B2c3',
      'mqtt-course-interrupt-a1B2c3',
      `mqtt-course-run-${dead.replace(/-ns\d+$/, '')}-ns1-a1B2c3`,
      `other-tool-run-${dead}-a1B2c3`,
    ]
    for (const name of kept) mkdirSync(path.join(tmp, name))
    // Named as a dead run's folder, but a link: neither it nor what it points to is touched.
    symlinkSync(outside, path.join(tmp, `mqtt-course-run-${dead}-g7H8i9`))
    const marker = path.join(tmp, `mqtt-course-container-${dead}-j1K2l3`)
    mkdirSync(marker)

    const sweep = await sweepTemporaryFolders(tmp)

    expect(sweep.removed.sort()).toEqual([deadRun, deadTls].sort())
    expect(sweep.containerMarkers).toEqual([marker])
    expect(readdirSync(tmp).sort()).toEqual([...kept, `mqtt-course-run-${dead}-g7H8i9`, path.basename(marker)].sort())
    expect(readdirSync(outside)).toEqual(['precious.txt'])
  })
})
