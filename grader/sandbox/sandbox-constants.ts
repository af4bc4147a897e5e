/** One program may use this much memory (RSS, its children included). */
export const programMemoryLimitBytes = 512 * 1024 * 1024
/** Processes and threads one workspace's programs may have at once (a Node program has about a dozen threads). */
export const programProcessLimit = 128
/** The workspace's size (its tmpfs), the sandbox's /tmp, and the largest file a program may write anywhere. */
export const workspaceLimitBytes = 64 * 1024 * 1024
export const openFileLimit = 1024
/**
 * What a workspace's programs may write in all without bubblewrap (--sandbox uid, disk-watchdog.ts): what bubblewrap
 * allows (the workspace and /tmp, 64 MiB each), and room for the submission itself and the file system's blocks.
 */
export const diskLimitBytes = 2 * workspaceLimitBytes + 8 * 1024 * 1024
/** Carries sandbox-init.ts's settings (JSON) into a program; the init removes it before the student's code runs. */
export const sandboxInitVariable = 'MQTT_COURSE_SANDBOX'
