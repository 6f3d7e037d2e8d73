/** A bad command line: the dispatcher prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {}
