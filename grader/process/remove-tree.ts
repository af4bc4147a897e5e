import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  rmSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs'

const isLinux = process.platform === 'linux'
const isRoot = process.getuid?.() === 0

/**
 * Removes a folder and everything in it, never following a symbolic link out of it: a workspace links the
 * course's node_modules, and what a student's program left there (a link to /etc, a folder swapped for a link
 * while we remove it) must not make a grader running as root remove anything else.
 *
 * On Linux each folder is opened once (O_NOFOLLOW) and everything in it is reached through that descriptor
 * (/proc/self/fd/N/name, as unlinkat() would), so no path is looked up twice. Files of other uids go as root
 * does; a folder without permissions that is ours is opened up first (a program may chmod 000 its own folders).
 * Elsewhere, Node's rm (which does not follow links either).
 */
export function removeTree(folder: string): void {
  if (!isLinux) {
    rmSync(folder, { recursive: true, force: true, maxRetries: 2 })
    return
  }
  let fd: number
  try {
    fd = openFolder(folder)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    // A link or a file where the folder was: the name goes, never what it points to.
    if (code === 'ELOOP' || code === 'ENOTDIR') return void unlinkSync(folder)
    throw error
  }
  try {
    emptyFolder(fd)
  } finally {
    closeSync(fd)
  }
  rmdirSync(folder)
}

const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** Opens a folder (never a link); as a user other than root, one of ours closed to us (chmod 000, 500) is opened up. */
function openFolder(at: string): number {
  let fd: number
  try {
    fd = openSync(at, folderFlags)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES' || isRoot) throw error
    // lstat does not follow a link: only a folder of ours is opened up.
    const stat = lstatSync(at)
    if (!stat.isDirectory() || stat.uid !== process.getuid?.()) throw error
    chmodSync(at, 0o700)
    fd = openSync(at, folderFlags)
  }
  if (!isRoot) {
    // What is in it can only be removed with write permission on it.
    const stat = fstatSync(fd)
    if (stat.uid === process.getuid?.() && (stat.mode & 0o700) !== 0o700) fchmodSync(fd, 0o700)
  }
  return fd
}

/** Removes everything in the open folder `fd`, through the descriptor only. */
function emptyFolder(fd: number): void {
  const here = `/proc/self/fd/${fd}`
  for (const name of readdirSync(here)) {
    const entry = `${here}/${name}`
    try {
      // unlink never follows the link it removes; a folder says EISDIR (Linux), and is emptied first.
      unlinkSync(entry)
      continue
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue
      if (code !== 'EISDIR' && code !== 'EPERM') throw error
    }
    let child: number
    try {
      child = openFolder(entry)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue
      // Swapped for a link or a file since: removed as such.
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        unlinkSync(entry)
        continue
      }
      throw error
    }
    try {
      emptyFolder(child)
    } finally {
      closeSync(child)
    }
    rmdirSync(entry)
  }
}
