import { fileURLToPath } from 'node:url'

/** The course's checkout: the folder with package.json, exercises/ and grader/. */
export const courseRoot = fileURLToPath(new URL('../../', import.meta.url))
