/** Defaults the command line shows in its help, kept apart so the help loads no command's code. */
export const DEFAULT_SANDBOX_PORT = '8790'
