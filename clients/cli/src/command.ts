/** One `hub` command: its name, a line for `hub --help`, its own help, and what it does. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
