import { accessSync, constants } from 'node:fs'
import path from 'node:path'

/** Whether `file` exists and this process may execute it. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first executable `name` in PATH's folders, then in `alsoIn` (sbin folders a user's PATH often lacks). */
export function findExecutable(
  name: string,
  alsoIn: readonly string[] = [],
  searchPath = process.env.PATH ?? '',
): string | undefined {
  const folders = [...searchPath.split(path.delimiter), ...alsoIn].filter(Boolean)
  return folders.map((folder) => path.join(folder, name)).find((candidate) => isExecutable(candidate))
}
