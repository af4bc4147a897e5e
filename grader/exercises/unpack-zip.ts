import { createWriteStream, mkdirSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import yauzl from 'yauzl'
import { GraderError, describeError } from '../errors/grader-error.ts'
import { workspaceLimitBytes } from '../sandbox/sandbox-constants.ts'

/** The most entries a submitted zip may hold (a grader copies the submission for every grade). */
const maxEntries = 10_000

export interface UnpackedZip {
  files: number
  /** What was left out, as "name (why)": links, Mac resource forks. */
  skipped: string[]
}

/**
 * Unpacks a submitted zip into `into` (an empty folder), with yauzl: it refuses entries whose names would land
 * outside the folder (absolute, `..`: zip-slip) and checks that each entry's data is the size its header claims,
 * so a zip bomb cannot lie its way past the size limit checked here first. Only regular files and folders are
 * written: a link in a zip could name any file of the grading machine.
 */
export async function unpackZip(zipFile: string, into: string): Promise<UnpackedZip> {
  const name = path.basename(zipFile)
  let zip: yauzl.ZipFile
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(zipFile, { lazyEntries: true, autoClose: true }, (error, opened) =>
        error ? reject(error) : resolve(opened),
      ),
    )
  } catch (error) {
    throw new GraderError('BAD_ZIP', `${name} is not a zip that can be read (${describeError(error)})`, {
      hint: 'zip the folder again (zip -r submission.zip folder/) and submit that',
    })
  }
  if (zip.entryCount > maxEntries) {
    zip.close()
    throw new GraderError(
      'BAD_ZIP',
      `${name} holds ${zip.entryCount} entries, more than the ${maxEntries} a submission may have`,
      { hint: 'leave node_modules/ and build output out of the zip' },
    )
  }
  const root = path.resolve(into)
  const skipped: string[] = []
  let files = 0
  let bytes = 0
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject)
      zip.on('end', () => resolve())
      zip.on('entry', (entry: yauzl.Entry) => {
        const handle = async () => {
          const target = path.resolve(root, entry.fileName)
          // yauzl already refused names that climb out; this is the same rule, kept where the file is written.
          if (target !== root && !target.startsWith(`${root}${path.sep}`))
            throw new GraderError(
              'BAD_ZIP',
              `${name} holds ${entry.fileName}, which would be written outside its folder: not unpacked`,
            )
          const kind = ((entry.externalFileAttributes >>> 16) & 0o170000) >>> 0
          if (entry.fileName.split('/').includes('__MACOSX')) return
          if (entry.fileName.endsWith('/')) {
            mkdirSync(target, { recursive: true, mode: 0o755 })
            return
          }
          if (kind === 0o120000) {
            skipped.push(`${entry.fileName} (a link: links are not unpacked)`)
            return
          }
          bytes += entry.uncompressedSize
          if (bytes > workspaceLimitBytes)
            throw new GraderError(
              'BAD_ZIP',
              `${name} unpacks to more than ${workspaceLimitBytes / 2 ** 20} MiB, more than a submission may hold`,
              { hint: 'leave node_modules/ and build output out of the zip' },
            )
          if (entry.isEncrypted())
            throw new GraderError('BAD_ZIP', `${name} is encrypted (${entry.fileName})`, {
              hint: 'zip it again without a password',
            })
          mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 })
          const stream = await new Promise<NodeJS.ReadableStream>((ok, fail) =>
            zip.openReadStream(entry, (error, opened) => (error ? fail(error) : ok(opened))),
          )
          await pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o644 }))
          files++
        }
        handle().then(
          () => zip.readEntry(),
          (error) => {
            zip.close()
            reject(error)
          },
        )
      })
      zip.readEntry()
    })
  } catch (error) {
    if (error instanceof GraderError) throw error
    const message = describeError(error)
    if (/invalid relative path|absolute path|invalid characters/.test(message)) {
      throw new GraderError(
        'BAD_ZIP',
        `${name} holds an entry that would be written outside its folder (${message.replace(/^.*?: /, '')}): not unpacked`,
        { hint: 'zip the folder again from inside it (zip -r submission.zip folder/) and submit that' },
      )
    }
    throw new GraderError('BAD_ZIP', `${name} could not be unpacked: ${message}`, {
      hint: 'zip the folder again and submit that',
    })
  }
  return { files, skipped }
}
